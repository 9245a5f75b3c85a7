import type { CommandResult, CrewContext } from '../context';
import { CrewError } from '../errors';

// Placeholder until the history command lands (a helper is writing it).
export async function history(_context: CrewContext, _options: { limit: number }): Promise<CommandResult> {
  throw new CrewError('AWS_ERROR', 'crew history is not built yet');
}
