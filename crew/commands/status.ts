import type { CommandResult, CrewContext } from '../context';
import { CrewError } from '../errors';

// Placeholder until the status command lands (a helper is writing it).
export async function status(_context: CrewContext, _options: { deployment: string }): Promise<CommandResult> {
  throw new CrewError('AWS_ERROR', 'crew status is not built yet');
}
export const watchStatus = status;
