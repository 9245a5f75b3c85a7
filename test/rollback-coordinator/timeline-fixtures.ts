import { spawnSync } from 'node:child_process';
import type { EscalationContext } from '../../lambdas/rollback-coordinator/timeline';
import type { RollbackState } from '../../lambdas/shared/cutover-contracts';

export const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const LIVE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/73e2d6bc24d8a067';
export const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/2453ed029918f21f';
export const SNAPSHOT_ID = 'deploymentcrew-release-1-4-0-9d7c36ba';
export const SNAPSHOT_TAKEN = '2026-11-24T10:00:30.000Z';

export function baseState(overrides: Partial<RollbackState> = {}): RollbackState {
  return {
    trigger: 'ERROR_RATE',
    phase: 'CUTOVER',
    reason: 'green 5xx rate 7.5 % over 2 periods',
    detectedAt: '2026-11-24T10:40:00.000Z',
    decision: {
      type: 'full',
      database: 'confirm',
      why: 'green error rate breached its threshold during the canary cutover: traffic goes back to live first.',
    },
    timeline: [
      {
        at: '2026-11-24T10:40:05.000Z',
        action: 'restore-traffic',
        result: 'ok',
        detail: 'listener at live 100 / green 0',
      },
      { at: '2026-11-24T10:41:00.000Z', action: 'database-confirmation', result: 'ok', detail: 'approved by chairman' },
    ],
    database: null,
    ...overrides,
  };
}

export const restoredDatabase = {
  status: 'AVAILABLE' as const,
  polls: 12,
  originalIdentifier: 'app-db',
  preservedIdentifier: 'app-db-pre-rb-9d7c36ba',
  temporaryIdentifier: 'app-db-rb-new-9d7c36ba',
  snapshotIdentifier: SNAPSHOT_ID,
};

export function escalationContext(overrides: Partial<EscalationContext> = {}): EscalationContext {
  return {
    deploymentName: 'release-1.4.0',
    listenerArn: LISTENER_ARN,
    liveTargetGroupArn: LIVE_TG,
    greenTargetGroupArn: GREEN_TG,
    greenServiceName: 'shop-green',
    clusterName: 'shop',
    database: { kind: 'instance', identifier: 'app-db' },
    snapshotIdentifier: SNAPSHOT_ID,
    stateTableName: 'DeploymentCrewState',
    lockKey: `LOCK#${LISTENER_ARN}`,
    failedAction: 'restore-database',
    error: 'StorageQuotaExceededFault: quota reached',
    stickiness: { enabled: true, durationSeconds: 300 },
    ...overrides,
  };
}

/** The words bash makes of a command line (after the program name), or throws when bash cannot parse it. */
export function shellWords(commandLine: string): string[] {
  const result = spawnSync('bash', ['-c', `words() { printf '%s\\0' "$@"; }; words ${commandLine}`], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`bash refused: ${result.stderr}`);
  return result.stdout.split('\0').slice(0, -1);
}

export function commandLine(message: string, program: string): string {
  const line = message.split('\n').find((candidate) => candidate.trim().startsWith(program));
  if (line === undefined) throw new Error(`no '${program}' command in the message`);
  return line.trim().slice('aws '.length);
}

export function argument(words: readonly string[], flag: string): string | undefined {
  const index = words.indexOf(flag);
  return index === -1 ? undefined : words[index + 1];
}
