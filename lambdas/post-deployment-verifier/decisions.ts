import type { OnMissingMonitoring } from '../shared/config/post-deployment-verifier';
import type { SmokeReport } from '../shared/smoke-suite';
import type { MonitoringCheckResult, RollbackDryRunResult } from '../shared/verification';

/**
 * The verifier's pure decisions: what a monitoring gap means for the deployment, whether the dry run's listener
 * re-write may have overwritten a rollback, and the one-line summaries the report and the Chairman read.
 */

export type MonitoringDecision = 'ok' | 'fail' | 'risk';

/** Every check ok: 'ok'. Otherwise the configured choice: fail the deployment, or succeed with a recorded risk. */
export function monitoringDecision(ok: boolean, onMissing: OnMissingMonitoring): MonitoringDecision {
  if (ok) return 'ok';
  return onMissing === 'fail' ? 'fail' : 'risk';
}

/** What the lock knows about a rollback, as far as the race guard needs it. */
export interface RecordedRollback {
  readonly trigger: string;
  readonly requestedAt: string;
  readonly requestedBy: string;
}

export interface RaceDecision {
  /** Put the old side back to 100 % again (restoreLive), because the dry run may have undone a rollback. */
  readonly reassert: boolean;
  readonly reason: string;
}

const instant = (iso: string) => new Date(iso).getTime();

/**
 * The dry run reads the listener at `readAt` and re-applies what it read, accepted at `acceptedAt`: a rollback that
 * wrote the listener in between is overwritten. A request is recorded before its write, so:
 * - a request recorded at or after `readAt` (between read and re-write, or later: clocks of two Lambdas differ by a
 *   little, and restoring live twice is harmless) → re-assert;
 * - a request recorded before `readAt` whose restore was not confirmed before `readAt` (`listenerRestoredAt`): its
 *   write may still have landed inside the window → re-assert;
 * - a restore confirmed before `readAt` was already in what the dry run read and re-applied → nothing to do.
 */
export function rollbackRaceDecision(
  rewrite: RollbackDryRunResult['listenerRewrite'],
  rollback: RecordedRollback | undefined,
  listenerRestoredAt: string | undefined,
): RaceDecision {
  if (rewrite === null) {
    return {
      reassert: false,
      reason: 'the dry run wrote nothing to the listener, so it cannot have undone a rollback',
    };
  }
  if (rollback === undefined) return { reassert: false, reason: 'no rollback request is recorded on the lock' };
  const request = `rollback (${rollback.trigger}) requested by ${rollback.requestedBy} at ${rollback.requestedAt}`;
  const readAt = instant(rewrite.readAt);
  const requestedAt = instant(rollback.requestedAt);
  if (requestedAt >= readAt) {
    const when =
      requestedAt <= instant(rewrite.acceptedAt)
        ? `between the dry run's listener read (${rewrite.readAt}) and its re-write (${rewrite.acceptedAt})`
        : `after the dry run's listener read (${rewrite.readAt}; re-write accepted at ${rewrite.acceptedAt})`;
    return { reassert: true, reason: `${request}, ${when}: the re-write may have undone it` };
  }
  if (listenerRestoredAt !== undefined && instant(listenerRestoredAt) < readAt) {
    return {
      reassert: false,
      reason: `${request}, restored at ${listenerRestoredAt}, before the dry run read the listener at ${rewrite.readAt}: the re-write re-applied the restored weights`,
    };
  }
  return {
    reassert: true,
    reason:
      `${request}, before the dry run's listener read (${rewrite.readAt}), but its restore was not confirmed before ` +
      `that read: its write may have landed before the re-write (${rewrite.acceptedAt})`,
  };
}

/** `3 of 4 steps passed against <target>; failed: login (status 500, expected 200)`. */
export function summarizeSmoke(report: SmokeReport): string {
  const passed = report.steps.filter((step) => step.passed).length;
  const head = `${passed} of ${report.steps.length} smoke steps passed against ${report.target}`;
  const failed = report.steps.filter((step) => !step.passed);
  if (failed.length === 0) return head;
  return `${head}; failed: ${failed.map((step) => `${step.name} (${step.failures.join('; ')})`).join(', ')}`;
}

/** `monitoring: 5 of 6 checks ok (risk recorded): alarm shop-errors: …`. */
export function summarizeMonitoring(result: MonitoringCheckResult, decision: MonitoringDecision): string {
  const ok = result.checks.filter((check) => check.ok).length;
  const verdict = { ok: 'in place', fail: 'missing, deployment fails', risk: 'missing, recorded as a risk' }[decision];
  const head = `monitoring ${verdict}: ${ok} of ${result.checks.length} checks ok`;
  const failed = result.checks.filter((check) => !check.ok);
  if (failed.length === 0) return head;
  return `${head}; ${failed.map((check) => `${check.kind} ${check.name}: ${check.evidence}`).join('; ')}`;
}
