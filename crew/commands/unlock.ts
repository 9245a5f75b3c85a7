import type { CommandResult, CrewContext } from '../context';
import { CrewError } from '../errors';

// Placeholder until the unlock command lands (a helper is writing it).
export async function unlock(
  _context: CrewContext,
  _options: { force: boolean; yes: boolean },
): Promise<CommandResult> {
  throw new CrewError('AWS_ERROR', 'crew unlock is not built yet');
}
