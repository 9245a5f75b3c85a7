import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_SUBSTITUTIONS } from '../../rehearsal/local-workflow';
import { APPROVED, createWorld, intakeConfig, VALID_INPUT, type WorldOptions } from '../../rehearsal/workflow-world';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite';

/**
 * The foundation part of statemachine/deployment-crew.asl.json (request → approval → validation and backup), run
 * locally in a simulated world (test/support/workflow-world.ts): the real intake, the real PreDeploymentValidator
 * with its real tools, the lock as real conditional writes against dynalite. Approvals are answered as each
 * scenario says. A deployment that passes goes on through the cutover (test/workflow/cutover.test.ts).
 */
const INTAKE_CONFIG = intakeConfig();

let dynamo: LocalDynamo;

beforeAll(async () => {
  dynamo = await startLocalDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

interface Scenario extends WorldOptions {}

function scenario(options: Scenario = {}) {
  return createWorld(dynamo, options);
}

const lockKey = { pk: { S: LOCAL_SUBSTITUTIONS.LockKey }, sk: { S: 'LOCK' } };
async function currentLock() {
  const { Item } = await dynamo.client.send(
    new GetItemCommand({ TableName: LOCAL_SUBSTITUTIONS.CrewTableName, Key: lockKey }),
  );
  return Item;
}

describe('foundation workflow (real ASL, local)', () => {
  beforeEach(async () => {
    expect(await currentLock()).toBeUndefined();
  });

  it('happy path: approved, validated, backed up, lock released, report as output', async () => {
    // Prepare
    const { run, production, recorder, approvalRequests, executionName } = scenario();

    // Act
    const result = await run();

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const report = (result.output as { report: Record<string, unknown> }).report;
    expect(report.passed).toBe(true);
    expect(report.approval).toEqual(APPROVED);
    expect((report.deployment as { name: string }).name).toBe(executionName);
    expect(report.backup).toMatchObject({ status: 'available', engine: 'postgres', engineVersion: '16.4' });
    expect((report.dependencyMatrix as { entries: unknown[] }).entries).toHaveLength(3);
    expect(approvalRequests).toEqual([
      expect.objectContaining({ kind: 'START', taskToken: 'local-task-token-SECRET', timeoutSeconds: 86400 }),
    ]);
    expect(production.rdsCalls.filter((call) => call.startsWith('CreateDBSnapshot'))).toHaveLength(1);
    // The Chairman hears of the outcome only: the approval request went through its own function.
    expect(recorder.notifications.map((notification) => notification.Subject)).toEqual([
      'DeploymentCrew: release 1.4.0 promoted',
    ]);
    expect(recorder.events).toEqual([]);
    expect(await currentLock()).toBeUndefined();
    expect(VALID_INPUT.release.schemaChange).toBe(false);
  });

  it('invalid input: InvalidInput naming the field, before the lock is taken', async () => {
    // Prepare
    const input = { ...VALID_INPUT, release: { ...VALID_INPUT.release, image: 'shop:latest' }, extra: 1 };
    const { run, recorder, approvalRequests } = scenario({ input });

    // Act
    const result = await run();

    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInput');
    expect(result.visited).not.toContain('AcquireDeploymentLock');
    expect(result.visited).not.toContain('ReleaseLockAfterFailure');
    expect(approvalRequests).toHaveLength(0);
    expect(recorder.notifications[0]?.Subject).toContain('InvalidInput');
    expect(recorder.notifications[0]?.Message).toContain('release.image');
    expect(recorder.events).toEqual([expect.objectContaining({ DetailType: 'Deployment Failed' })]);
    expect(recorder.events[0]?.Detail).toMatchObject({ error: 'InvalidInput' });
  });

  it('lock held by another deployment: DeploymentInProgress, and the other lock is left alone', async () => {
    // Prepare
    const future = String(Math.floor(Date.now() / 1000) + 3600);
    await dynamo.client.send(
      new PutItemCommand({
        TableName: LOCAL_SUBSTITUTIONS.CrewTableName,
        Item: { ...lockKey, holder: { S: 'rel-1-3-9' }, lockState: { S: 'HELD' }, expiresAt: { N: future } },
      }),
    );
    const { run, recorder, approvalRequests } = scenario();

    // Act
    const result = await run();

    // Assess
    expect(result.error).toBe('DeploymentInProgress');
    expect(approvalRequests).toHaveLength(0);
    expect((await currentLock())?.holder).toEqual({ S: 'rel-1-3-9' });
    expect(recorder.events[0]?.Detail).toMatchObject({ error: 'DeploymentInProgress' });
    await dynamo.client.send(new DeleteItemCommand({ TableName: LOCAL_SUBSTITUTIONS.CrewTableName, Key: lockKey }));
  });

  it('an expired lock left by a crashed execution is taken over', async () => {
    // Prepare
    const past = String(Math.floor(Date.now() / 1000) - 60);
    await dynamo.client.send(
      new PutItemCommand({
        TableName: LOCAL_SUBSTITUTIONS.CrewTableName,
        Item: { ...lockKey, holder: { S: 'rel-crashed' }, lockState: { S: 'HELD' }, expiresAt: { N: past } },
      }),
    );
    const { run } = scenario();

    // Act
    const result = await run();

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(await currentLock()).toBeUndefined();
  });

  it('approval rejected: ApprovalRejected, nothing validated, lock released, Chairman told', async () => {
    // Prepare
    const { run, production, recorder } = scenario({ approval: 'reject' });

    // Act
    const result = await run();

    // Assess
    expect(result.error).toBe('ApprovalRejected');
    expect(production.rdsCalls).toEqual([]);
    expect(production.httpCalls).toEqual([]);
    expect(result.visited).toContain('ReleaseLockAfterFailure');
    expect(recorder.notifications[0]?.Message).toContain('not this week');
    expect(await currentLock()).toBeUndefined();
  });

  it('approval timed out: ApprovalTimedOut, lock released', async () => {
    // Prepare
    const { run, production, recorder } = scenario({ approval: 'never' });

    // Act
    const result = await run();

    // Assess
    expect(result.error).toBe('ApprovalTimedOut');
    expect(production.rdsCalls).toEqual([]);
    expect(recorder.events[0]?.Detail).toMatchObject({ error: 'ApprovalTimedOut' });
    expect(await currentLock()).toBeUndefined();
  });

  it('critical dependency down: PreDeploymentValidationFailed (DEPLOY-001) naming it, lock released', async () => {
    // Prepare
    const { run, recorder } = scenario({
      endpoints: [
        { name: 'api', critical: true, answers: 200 },
        { name: 'stripe', critical: true, answers: 503 },
      ],
    });

    // Act
    const result = await run();

    // Assess
    expect(result.error).toBe('PreDeploymentValidationFailed');
    expect(recorder.events[0]?.Detail).toMatchObject({ error: 'PreDeploymentValidationFailed', code: 'DEPLOY-001' });
    expect(recorder.notifications[0]?.Message).toContain('stripe');
    expect(await currentLock()).toBeUndefined();
  });

  it('non-critical dependency down: continues, and the report carries the warning', async () => {
    // Prepare
    const { run } = scenario({
      endpoints: [
        { name: 'api', critical: true, answers: 200 },
        { name: 'email', critical: false, answers: 'unreachable' },
      ],
    });

    // Act
    const result = await run();

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    const { report } = result.output as {
      report: { warnings: string[]; dependencyMatrix: { entries: { name: string }[] } };
    };
    expect(report.warnings).toEqual([expect.stringContaining('email')]);
    expect(report.dependencyMatrix.entries.find((entry) => entry.name === 'email')).toMatchObject({
      status: 'DOWN',
      critical: false,
    });
  });

  it('snapshot creation fails: BackupFailed with the RDS reason, lock released', async () => {
    // Prepare
    const { run, recorder } = scenario({ snapshot: { createFailsWith: 'SnapshotQuotaExceededFault' } });

    // Act
    const result = await run();

    // Assess
    expect(result.error).toBe('BackupFailed');
    expect(recorder.notifications[0]?.Message).toContain('SnapshotQuotaExceededFault');
    expect(await currentLock()).toBeUndefined();
  });

  it('snapshot that ends in status failed: BackupFailed naming the status', async () => {
    // Prepare
    const { run, recorder } = scenario({ snapshot: { pollsUntilDone: 1, finalStatus: 'failed' } });

    // Act
    const result = await run();

    // Assess
    expect(result.error).toBe('BackupFailed');
    expect(recorder.events[0]?.Detail).toMatchObject({ cause: expect.stringContaining('entered status failed') });
  });

  it('snapshot never available: the bounded wait ends in BackupFailed after snapshotMaxPolls describes', async () => {
    // Prepare
    const { run, production, recorder } = scenario({ snapshot: { pollsUntilDone: 1000 } });

    // Act
    const result = await run();

    // Assess
    expect(result.error).toBe('BackupFailed');
    const describes = production.rdsCalls.filter((call) => call.startsWith('DescribeDBSnapshots'));
    expect(describes).toHaveLength(INTAKE_CONFIG.settings.snapshotMaxPolls);
    expect(recorder.events[0]?.Detail).toMatchObject({ cause: expect.stringContaining('still creating after 5') });
    expect(await currentLock()).toBeUndefined();
  });

  it('snapshot that fails verification: BackupFailed naming the mismatch', async () => {
    // Prepare
    const { run, recorder } = scenario({ snapshot: { engineVersionDrift: true } });

    // Act
    const result = await run();

    // Assess
    expect(result.error).toBe('BackupFailed');
    expect(recorder.notifications[0]?.Message).toMatch(/engine version/i);
  });

  it('throttling is retried: CreateDBSnapshot throttled 4 times, then the deployment succeeds with one snapshot', async () => {
    // Prepare: 3 throttles spend the client's attempts (one ASL retry); the 4th is absorbed by the SDK
    const { run, production } = scenario({ snapshot: { throttleCreate: 4 } });

    // Act
    const result = await run();

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(result.retries.filter((state) => state === 'CreateDatabaseSnapshot')).toHaveLength(1);
    expect(production.rdsCalls.filter((call) => call.startsWith('CreateDBSnapshot'))).toHaveLength(5);
  });

  it('a busy database (automated backup running) is waited out with retries, then backed up', async () => {
    // Prepare
    const { run, production } = scenario({ snapshot: { busyCreate: 3 } });

    // Act
    const result = await run();

    // Assess
    expect(result, `${result.error}: ${result.cause}`).toMatchObject({ status: 'SUCCEEDED' });
    expect(result.retries.filter((state) => state === 'CreateDatabaseSnapshot')).toHaveLength(3);
    expect(production.rdsCalls.filter((call) => call.startsWith('CreateDBSnapshot'))).toHaveLength(4);
  });
});
