import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  appendTimeline,
  type EscalationContext,
  escalationRunbook,
  rollbackSummary,
  SUBJECT_MAX_LENGTH,
  shellQuote,
  toSubject,
} from '../../lambdas/rollback-coordinator/timeline';
import { type RollbackState, rollbackStateSchema } from '../../lambdas/shared/cutover-contracts';

const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
const LIVE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/73e2d6bc24d8a067';
const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/2453ed029918f21f';
const SNAPSHOT_ID = 'deploymentcrew-release-1-4-0-9d7c36ba';
const SNAPSHOT_TAKEN = '2026-11-24T10:00:30.000Z';

function baseState(overrides: Partial<RollbackState> = {}): RollbackState {
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

const restoredDatabase = {
  status: 'AVAILABLE' as const,
  polls: 12,
  originalIdentifier: 'app-db',
  preservedIdentifier: 'app-db-pre-rb-9d7c36ba',
  temporaryIdentifier: 'app-db-rb-new-9d7c36ba',
  snapshotIdentifier: SNAPSHOT_ID,
};

function escalationContext(overrides: Partial<EscalationContext> = {}): EscalationContext {
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
function shellWords(commandLine: string): string[] {
  const result = spawnSync('bash', ['-c', `words() { printf '%s\\0' "$@"; }; words ${commandLine}`], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`bash refused: ${result.stderr}`);
  return result.stdout.split('\0').slice(0, -1);
}

function commandLine(message: string, program: string): string {
  const line = message.split('\n').find((candidate) => candidate.trim().startsWith(program));
  if (line === undefined) throw new Error(`no '${program}' command in the message`);
  return line.trim().slice('aws '.length);
}

function argument(words: readonly string[], flag: string): string | undefined {
  const index = words.indexOf(flag);
  return index === -1 ? undefined : words[index + 1];
}

describe('appendTimeline', () => {
  it('adds an entry with its ISO time and leaves the input as it was', () => {
    // Prepare
    const state = baseState();
    const before = structuredClone(state);

    // Act
    const next = appendTimeline(
      state,
      { action: 'scale-green', result: 'skipped', detail: 'green already at 0' },
      new Date(Date.UTC(2026, 10, 24, 10, 45)),
    );

    // Assess
    expect(state).toEqual(before);
    expect(next.timeline).toHaveLength(3);
    expect(next.timeline.at(-1)).toEqual({
      at: '2026-11-24T10:45:00.000Z',
      action: 'scale-green',
      result: 'skipped',
      detail: 'green already at 0',
    });
    expect(rollbackStateSchema.safeParse(next).success).toBe(true);
  });
});

describe('toSubject', () => {
  it('keeps subjects SNS-safe: one ASCII line under 100 characters', () => {
    // Prepare
    const long = `DeploymentCrew: ${'release-ü-'.repeat(20)}\nsecond line`;

    // Act
    const subject = toSubject(long);

    // Assess
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.endsWith('...')).toBe(true);
  });
});

describe('rollbackSummary', () => {
  it('tells the trigger, phase, decision, why, every timeline entry and the writes a restore lost', () => {
    // Prepare
    const state = baseState({ database: restoredDatabase });

    // Act
    const { subject, message } = rollbackSummary(state, {
      deploymentName: 'release-1.4.0',
      releaseVersion: '1.4.0',
      snapshotCreatedAt: SNAPSHOT_TAKEN,
    });

    // Assess
    expect(subject).toBe('DeploymentCrew: release-1.4.0 (release 1.4.0) rolled back (full)');
    expect(message).toContain('Trigger: ERROR_RATE (green 5xx rate 7.5 % over 2 periods)');
    expect(message).toContain('Phase: CUTOVER');
    expect(message).toContain('Decision: full rollback; database: confirm');
    expect(message).toContain('Why: green error rate breached its threshold');
    expect(message).toContain('1. 2026-11-24T10:40:05.000Z  [ok]  restore-traffic: listener at live 100 / green 0');
    expect(message).toContain('2. 2026-11-24T10:41:00.000Z  [ok]  database-confirmation: approved by chairman');
    expect(message).toContain(`every write after ${SNAPSHOT_TAKEN}`);
    expect(message).toContain("'app-db-pre-rb-9d7c36ba'");
  });

  it('says no writes were lost when the database was not touched', () => {
    // Prepare
    const state = baseState({ decision: { type: 'traffic', database: 'none', why: 'traffic only.' } });

    // Act
    const { subject, message } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    expect(subject).toContain('rolled back (traffic)');
    expect(message).toContain('Database: not touched. No writes were lost.');
    expect(message).not.toContain('every write after');
  });

  it('flags a full rollback whose database restore did not run', () => {
    // Prepare
    const state = baseState();

    // Act
    const { subject, message } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    expect(subject).toContain('traffic rolled back, database not restored');
    expect(message).toContain('Database: NOT restored');
  });

  it('marks a failed step as incomplete and names the snapshot when its time is unknown', () => {
    // Prepare
    const state = baseState({
      database: { ...restoredDatabase, status: 'FAILED', reason: 'StorageQuotaExceededFault: quota\nreached' },
      timeline: [{ at: '2026-11-24T10:50:00.000Z', action: 'restore-database', result: 'failed', detail: 'quota' }],
    });

    // Act
    const { subject, message } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    expect(subject).toContain('rollback INCOMPLETE');
    expect(message).toContain('restore FAILED (StorageQuotaExceededFault: quota reached)');
    expect(message).toContain(`every write after the time snapshot '${SNAPSHOT_ID}' was taken`);
  });

  it('keeps the subject within 99 characters for long names', () => {
    // Prepare
    const state = baseState({ database: restoredDatabase });

    // Act
    const { subject } = rollbackSummary(state, {
      deploymentName: 'x'.repeat(80),
      releaseVersion: '2026.11.24-build.1234',
    });

    // Assess
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    expect(subject).not.toContain('\n');
  });
});

describe('escalationRunbook', () => {
  it('numbers the steps and restores 100 % live with the complete forward config', () => {
    // Prepare
    const state = baseState({ database: { ...restoredDatabase, status: 'FAILED', reason: 'quota' } });

    // Act
    const { subject, message } = escalationRunbook(state, escalationContext({ region: 'eu-west-1' }));

    // Assess
    expect(subject).toBe('DeploymentCrew ESCALATION: rollback of release-1.4.0 needs a person');
    expect(message).toContain('Failed action: restore-database');
    expect(message).toContain('Error: StorageQuotaExceededFault: quota reached');
    const numbers = message
      .split('\n')
      .map((line) => /^(\d+)\. /.exec(line)?.[1])
      .filter((value): value is string => value !== undefined)
      .map(Number);
    expect(numbers).toEqual(numbers.map((_, index) => index + 1));
    const words = shellWords(commandLine(message, 'aws elbv2 modify-listener'));
    expect(argument(words, '--listener-arn')).toBe(LISTENER_ARN);
    expect(argument(words, '--region')).toBe('eu-west-1');
    expect(JSON.parse(argument(words, '--default-actions') ?? 'null')).toEqual([
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: LIVE_TG, Weight: 100 },
            { TargetGroupArn: GREEN_TG, Weight: 0 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
        },
      },
    ]);
    expect(message).toContain('stickiness cookie keep reaching green for up to 300 s');
  });

  it('checks live target health and scales green down', () => {
    // Prepare
    const state = baseState();

    // Act
    const { message } = escalationRunbook(state, escalationContext());

    // Assess
    const health = shellWords(commandLine(message, 'aws elbv2 describe-target-health'));
    expect(argument(health, '--target-group-arn')).toBe(LIVE_TG);
    const scale = shellWords(commandLine(message, 'aws ecs update-service'));
    expect(argument(scale, '--cluster')).toBe('shop');
    expect(argument(scale, '--service')).toBe('shop-green');
    expect(argument(scale, '--desired-count')).toBe('0');
  });

  it('walks through the swap when the restore failed: rename back, unfence with the recorded groups, never delete', () => {
    // Prepare
    const state = baseState({
      database: {
        ...restoredDatabase,
        status: 'FAILED',
        reason: 'quota',
        fence: { securityGroupId: 'sg-0fence', originalSecurityGroupIds: ['sg-0aaa', 'sg-0bbb'], fencedAt: 'x' },
      },
    });

    // Act
    const { message } = escalationRunbook(state, escalationContext());

    // Assess
    expect(message).toContain("aws rds describe-db-instances --db-instance-identifier 'app-db-pre-rb-9d7c36ba'");
    expect(message).toContain("aws rds describe-db-instances --db-instance-identifier 'app-db-rb-new-9d7c36ba'");
    const unfence = shellWords(commandLine(message, "aws rds modify-db-instance --db-instance-identifier 'app-db' "));
    const after = unfence.slice(unfence.indexOf('--vpc-security-group-ids') + 1);
    expect(
      after.slice(
        0,
        after.findIndex((word) => word.startsWith('--')),
      ),
    ).toEqual(['sg-0aaa', 'sg-0bbb']);
    const renameBack = shellWords(
      commandLine(message, "aws rds modify-db-instance --db-instance-identifier 'app-db-pre-rb-9d7c36ba'"),
    );
    expect(argument(renameBack, '--new-db-instance-identifier')).toBe('app-db');
    expect(message).toContain("Never delete 'app-db-pre-rb-9d7c36ba'");
    expect(message).not.toMatch(/delete-db-/);
  });

  it('uses the cluster commands for an Aurora database', () => {
    // Prepare
    const state = baseState({
      database: {
        ...restoredDatabase,
        status: 'RENAMING',
        originalIdentifier: 'orders',
        preservedIdentifier: 'orders-pre-rb-9d7c36ba',
        temporaryIdentifier: 'orders-rb-new-9d7c36ba',
      },
    });

    // Act
    const { message } = escalationRunbook(
      state,
      escalationContext({ database: { kind: 'cluster', identifier: 'orders' } }),
    );

    // Assess
    expect(message).toContain("aws rds describe-db-clusters --db-cluster-identifier 'orders-pre-rb-9d7c36ba'");
    expect(message).toContain(
      "aws rds modify-db-cluster --db-cluster-identifier 'orders-pre-rb-9d7c36ba' --new-db-cluster-identifier 'orders'",
    );
    expect(message).toContain("aws rds modify-db-cluster --db-cluster-identifier 'orders' --vpc-security-group-ids");
    expect(message).not.toContain('describe-db-instances');
  });

  it("lists the acknowledged follow-ups and the endpoint's downtime in the Chairman's summary", () => {
    // Prepare
    const state = baseState({
      database: {
        ...restoredDatabase,
        fence: { securityGroupId: 'sg-0fence', originalSecurityGroupIds: ['sg-0aaa'], fencedAt: 'x' },
        swap: { startedAt: 'a', completedAt: 'b', endpointDownSeconds: 120 },
        followUps: ['RDS Proxy app-proxy keeps targeting the preserved copy'],
      },
    });

    // Act
    const { message } = rollbackSummary(state, { deploymentName: 'd', releaseVersion: '1', snapshotCreatedAt: 'T0' });

    // Assess
    expect(message).toContain('Endpoint down during the renames: at most 120 s');
    expect(message).toContain('To redo by hand now (acknowledged in the configuration):\n  - RDS Proxy app-proxy');
    expect(message).toContain("fenced (security group 'sg-0fence'");
    expect(message).toContain('every write after T0');
  });

  it('says a refused database rollback changed nothing', () => {
    // Prepare
    const state = baseState({
      database: { ...restoredDatabase, status: 'FAILED', refused: true, reason: 'database rollback refused: no fence' },
    });

    // Act
    const { message } = rollbackSummary(state, { deploymentName: 'd', releaseVersion: '1' });

    // Assess
    expect(message).toContain('NOT restored, the rollback was refused before anything was created or changed');
    expect(message).toContain('No writes were lost');
  });

  it('leaves the database out when it was restored or never part of the decision', () => {
    // Prepare
    const restored = baseState({ database: restoredDatabase });
    const trafficOnly = baseState({ decision: { type: 'traffic', database: 'none', why: 'traffic only.' } });

    // Act
    const restoredRunbook = escalationRunbook(restored, escalationContext()).message;
    const trafficRunbook = escalationRunbook(trafficOnly, escalationContext()).message;

    // Assess
    expect(restoredRunbook).toContain('status AVAILABLE): nothing to do');
    expect(restoredRunbook).not.toContain('restore-db-instance-from-db-snapshot');
    expect(trafficRunbook).not.toContain('aws rds');
  });

  it('clears only this deployment’s escalated lock', () => {
    // Prepare
    const state = baseState();

    // Act
    const { message } = escalationRunbook(state, escalationContext());

    // Assess
    const words = shellWords(commandLine(message, 'aws dynamodb delete-item'));
    expect(argument(words, '--table-name')).toBe('DeploymentCrewState');
    expect(JSON.parse(argument(words, '--key') ?? 'null')).toEqual({
      pk: { S: `LOCK#${LISTENER_ARN}` },
      sk: { S: 'LOCK' },
    });
    expect(argument(words, '--condition-expression')).toBe('holder = :holder AND lockState = :escalated');
    expect(JSON.parse(argument(words, '--expression-attribute-values') ?? 'null')).toEqual({
      ':holder': { S: 'release-1.4.0' },
      ':escalated': { S: 'ESCALATED' },
    });
    expect(message.trimEnd().split('\n').at(-1)).toContain('aws dynamodb delete-item');
  });

  it('warns when the stickiness is unknown and checks the execution first when its ARN is given', () => {
    // Prepare
    const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:release-1.4.0';

    // Act
    const { message } = escalationRunbook(baseState(), escalationContext({ stickiness: undefined, executionArn }));

    // Assess
    expect(message).toMatch(/^1\. Make sure the execution has ended/m);
    expect(message).toContain(`--execution-arn '${executionArn}'`);
    expect(message).toContain('Stickiness is unknown here');
    const words = shellWords(commandLine(message, 'aws elbv2 modify-listener'));
    expect(argument(words, '--default-actions')).toContain('"TargetGroupStickinessConfig":{"Enabled":false}');
  });

  it('quotes values for the shell, a deployment name with a quote included', () => {
    // Prepare
    const name = "it's-release";

    // Act
    const quoted = shellQuote(name);
    const { message } = escalationRunbook(baseState(), escalationContext({ deploymentName: name }));

    // Assess
    expect(shellWords(quoted)).toEqual([name]);
    const words = shellWords(commandLine(message, 'aws dynamodb delete-item'));
    expect(JSON.parse(argument(words, '--expression-attribute-values') ?? 'null')[':holder']).toEqual({ S: name });
  });
});

describe('time until weight effective in the summary and the runbook', () => {
  const measured = {
    triggerAt: '2026-11-24T10:40:00.000Z',
    triggerSource: 'the alarm listener received shop-green-5xx in ALARM',
    confirmedAt: '2026-11-24T10:40:02.250Z',
    timeUntilWeightEffectiveSeconds: 2.25,
    unknownBecause: null,
  };
  const neverConfirmed = {
    ...measured,
    confirmedAt: null,
    timeUntilWeightEffectiveSeconds: null,
    unknownBecause: 'the listener has not been confirmed back at 100 % live',
  };

  it('tells the figure in the message and in the one-line cause', () => {
    // Prepare
    const state = baseState({ weightEffective: measured });

    // Act
    const { message, cause } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    const line =
      'Time until weight effective: 2.25 s from the trigger (2026-11-24T10:40:00.000Z: the alarm listener received ' +
      'shop-green-5xx in ALARM) to the listener confirmed 100 % live (2026-11-24T10:40:02.250Z)';
    expect(message).toContain(line);
    expect(cause).toMatch(/^DEPLOY-002: deployment release-1\.4\.0 \(release 1\.4\.0\) /);
    expect(cause).toContain('time until weight effective: 2.25 s from the trigger');
    expect(cause).not.toContain('\n');
  });

  it('says unknown, with the reason, when the record has no trigger time', () => {
    // Prepare
    const state = baseState();

    // Act
    const { message, cause } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    expect(message).toContain('Time until weight effective: unknown: the rollback record carries no trigger time');
    expect(cause).toContain('time until weight effective: unknown');
  });

  it('tells the time elapsed so far when the listener was never confirmed', () => {
    // Prepare
    const state = baseState({ weightEffective: neverConfirmed });

    // Act
    const { message, cause } = escalationRunbook(state, escalationContext({ elapsedSinceTriggerSeconds: 240.5 }));

    // Assess
    const line =
      'Time until weight effective: none, the listener was never confirmed back at 100 % live (240.5 s since the ' +
      'trigger so far)';
    expect(message).toContain(line);
    expect(cause).toMatch(/^DEPLOY-003: the rollback of release-1\.4\.0 failed \(restore-database\)/);
    expect(cause).toContain('none, the listener was never confirmed back at 100 % live (240.5 s');
  });

  it('tells the figure in the runbook when the listener was confirmed before the escalation', () => {
    // Prepare
    const state = baseState({ weightEffective: measured });

    // Act
    const { message } = escalationRunbook(state, escalationContext({ elapsedSinceTriggerSeconds: 600 }));

    // Assess
    expect(message).toContain('Time until weight effective: 2.25 s from the trigger');
    expect(message).not.toContain('since the trigger so far');
  });
});
