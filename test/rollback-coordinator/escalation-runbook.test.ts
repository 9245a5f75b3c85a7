import { describe, expect, it } from 'vitest';
import { escalationRunbook, rollbackSummary, shellQuote } from '../../lambdas/rollback-coordinator/timeline';
import {
  argument,
  baseState,
  commandLine,
  escalationContext,
  GREEN_TG,
  LISTENER_ARN,
  LIVE_TG,
  restoredDatabase,
  shellWords,
} from './timeline-fixtures';

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
