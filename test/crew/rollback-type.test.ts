import { describe, expect, it } from 'vitest';
import { rollbackTypeShown } from '../../crew/execution-history';

/** What `crew history` says of a finished execution's rollback, from its final state. */

describe('rollbackTypeShown', () => {
  it("says the decided type, 'none' without a rollback, and 'undecided' for a rollback that failed before deciding", () => {
    // Act
    const shown = [
      rollbackTypeShown({ rollback: { trigger: 'ERROR_RATE', decision: { type: 'full' } } }),
      rollbackTypeShown({ outcome: { error: 'ApprovalRejected' } }),
      // PrepareMinimalRollbackRecord: the coordinator's begin failed, so RollbackFailed with no decision
      rollbackTypeShown({ rollback: { trigger: 'ERROR_RATE', decision: null } }),
    ];

    // Assess
    expect(shown).toEqual(['full', 'none', 'undecided']);
  });
});
