import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, type ExecutionStatus, SFNClient } from '@aws-sdk/client-sfn';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../crew/context';
import { EXIT_CODES } from '../../crew/errors';
import { run } from '../../crew/main';
import {
  callsOf,
  LOCK_KEY,
  NOW,
  onlyJsonDocument,
  REGION,
  STACK_NAME,
  STATE_MACHINE_ARN,
  STATE_TABLE,
  stackOutputs,
} from './support';

/**
 * `crew unlock --force`: shows what holds the lock, asks, and deletes it only if it is still what was shown; never
 * the lock a running deployment holds.
 */

const HOLDER = 'rel-1-3-9-20261116-140000-abcd';
const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${HOLDER}`;
const TOKEN = `SECRETTASKTOKEN${'QUFBQUtnQUFBQU1B'.repeat(40)}`;
const KEY = { pk: LOCK_KEY, sk: 'LOCK' };
const LOCK_ATTRIBUTES = [
  'holder',
  'lockState',
  'executionArn',
  'releaseVersion',
  'acquiredAt',
  'escalatedAt',
  'expiresAt',
  'phase',
  'phaseBeforeRollback',
  'sides',
  'greenWeight',
  'bakeStartedAt',
  'rollback',
  'listenerRestoredAt',
];
const LOCK_READ = {
  TableName: STATE_TABLE,
  Key: KEY,
  ConsistentRead: true,
  ProjectionExpression: LOCK_ATTRIBUTES.map((_, index) => `#a${index}`).join(', '),
  ExpressionAttributeNames: Object.fromEntries(LOCK_ATTRIBUTES.map((name, index) => [`#a${index}`, name])),
};
/** Left by a rollback that failed: no expiry, the token of the bake it interrupted still on it. */
const ESCALATED = {
  ...KEY,
  holder: HOLDER,
  lockState: 'ESCALATED',
  executionArn: EXECUTION_ARN,
  releaseVersion: '1.3.9',
  acquiredAt: '2026-11-16T14:00:01.000Z',
  escalatedAt: '2026-11-16T14:31:12.000Z',
  phase: 'ROLLING_BACK',
  phaseBeforeRollback: 'CUTOVER',
  greenWeight: 25,
  bakeToken: TOKEN,
  rollback: {
    trigger: 'ERROR_RATE',
    reason: 'green 5xx at 7 %',
    requestedAt: '2026-11-16T14:30:00.000Z',
    requestedBy: 'alarm-listener',
  },
};
const HELD = {
  ...ESCALATED,
  lockState: 'HELD',
  escalatedAt: undefined,
  phase: 'CUTOVER',
  phaseBeforeRollback: undefined,
  rollback: undefined,
  expiresAt: 1_800_000_000,
};

/** An orphan lock of a deployment stopped before any traffic moved: nothing to put back, it may be cleared. */
const HELD_BEFORE_TRAFFIC = { ...HELD, phase: 'PROVISIONING', greenWeight: 0 };

/** Mocked clients behind the real createContext and main.ts, and an operator who answers `answer` when asked. */
function unlockWorld(options: { lock?: object; status?: ExecutionStatus | 'GONE'; answer?: boolean } = {}) {
  const clients = {
    sfn: new SFNClient({ region: REGION }),
    cloudFormation: new CloudFormationClient({ region: REGION }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION })),
  };
  const sfn = mockClient(clients.sfn);
  const dynamo = mockClient(clients.dynamo);
  mockClient(clients.cloudFormation)
    .on(DescribeStacksCommand)
    .resolves({
      Stacks: [{ StackName: STACK_NAME, StackStatus: 'UPDATE_COMPLETE', CreationTime: NOW, Outputs: stackOutputs() }],
    });
  sfn.onAnyCommand().rejects(new Error('unexpected SFN call'));
  dynamo.onAnyCommand().rejects(new Error('unexpected DynamoDB call'));
  dynamo.on(GetCommand).resolves(options.lock === undefined ? {} : { Item: options.lock });
  dynamo.on(DeleteCommand).resolves({});
  const status = options.status ?? 'FAILED';
  if (status === 'GONE') {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
  } else {
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: EXECUTION_ARN,
      name: HOLDER,
      status,
      startDate: new Date('2026-11-16T14:00:00Z'),
      ...(status === 'RUNNING' ? {} : { stopDate: new Date('2026-11-16T14:33:00Z') }),
      ...(status === 'FAILED' ? { error: 'RollbackFailed' } : {}),
    });
  }
  const questions: string[] = [];
  const world = {
    sfn,
    dynamo,
    questions,
    async run(argv: readonly string[]) {
      const out = { stdout: '', stderr: '' };
      const code = await run(argv, {
        contextFor: (context) =>
          createContext({
            ...context,
            clients: {
              ...clients,
              callFunctionUrl: async () => {
                throw new Error('no function URL call is expected');
              },
            },
            io: {
              stdout: (text) => {
                out.stdout += text;
              },
              stderr: (text) => {
                out.stderr += text;
              },
              confirm: async (question) => {
                questions.push(question);
                return options.answer ?? false;
              },
              isTTY: true,
              sleep: async () => {},
            },
            now: () => new Date(NOW),
          }),
        rehearse: async () => 0,
        stdout: (text) => {
          out.stdout += text;
        },
        stderr: (text) => {
          out.stderr += text;
        },
      });
      return { code, ...out };
    },
  };
  return world;
}

const conditionalDelete = (holder: string, lockState: string) => [
  'DeleteCommand',
  {
    TableName: STATE_TABLE,
    Key: KEY,
    ConditionExpression: '#holder = :holder AND #lockState = :lockState',
    ExpressionAttributeNames: { '#holder': 'holder', '#lockState': 'lockState' },
    ExpressionAttributeValues: { ':holder': holder, ':lockState': lockState },
    ReturnValues: 'NONE',
  },
];

describe('crew unlock', () => {
  it('shows an ESCALATED lock, asks, then deletes it on condition that it is still what was shown', async () => {
    // Prepare
    const world = unlockWorld({ lock: ESCALATED, status: 'FAILED', answer: true });

    // Act
    const { code, stdout, stderr } = await world.run(['unlock', '--force']);

    // Assess
    expect(code).toBe(0);
    expect(callsOf(world.dynamo)).toEqual([['GetCommand', LOCK_READ], conditionalDelete(HOLDER, 'ESCALATED')]);
    expect(callsOf(world.sfn)).toEqual([['DescribeExecutionCommand', { executionArn: EXECUTION_ARN }]]);
    expect(stderr).toMatchInlineSnapshot(`
      "The deployment lock is held:
        holder     rel-1-3-9-20261116-140000-abcd
        state      ESCALATED since 2026-11-16T14:31:12Z
        phase      ROLLING_BACK (from CUTOVER)
        release    1.3.9
        rollback   requested (ERROR_RATE) by alarm-listener at 2026-11-16T14:30:00Z: green 5xx at 7 %
        expires    never
        execution  FAILED (RollbackFailed) at 2026-11-16T14:33:00Z
      "
    `);
    expect(world.questions).toEqual([
      `Clear the lock held by ${HOLDER} (ESCALATED)? Only once production is sound again (the runbook).`,
    ]);
    expect(stdout).toBe(
      `Cleared the lock held by ${HOLDER} (ESCALATED). The next deployment may start: crew start ...\n`,
    );
  });

  it('clears an ESCALATED lock even while its execution is still sending its notices', async () => {
    // Prepare: MarkLockEscalated ran; NotifyEscalation and the OpsItem are still to come, none writes the lock.
    const world = unlockWorld({ lock: ESCALATED, status: 'RUNNING', answer: true });

    // Act
    const { code, stderr } = await world.run(['unlock', '--force']);

    // Assess
    expect(code).toBe(0);
    expect(stderr).toContain('  execution  RUNNING\n');
    expect(world.dynamo.commandCalls(DeleteCommand)).toHaveLength(1);
  });

  it('refuses an orphan HELD lock whose green may still take traffic (stopped mid-cutover): roll it back first', async () => {
    // Prepare: the execution was stopped during the cutover; nothing put the listener back
    const world = unlockWorld({ lock: HELD, status: 'ABORTED' });

    // Act
    const { code, stderr } = await world.run(['unlock', '--force', '--yes']);

    // Assess
    expect(code).toBe(EXIT_CODES.LOCK_HELD);
    expect(stderr).toContain('green may still take traffic (phase CUTOVER, green at 25 %)');
    expect(stderr).toContain(`crew rollback ${HOLDER} --reason`);
    expect(world.dynamo.commandCalls(DeleteCommand)).toEqual([]);
  });

  it('with --yes, clears an orphan HELD lock once traffic is confirmed back on the live side, without asking', async () => {
    // Prepare: crew rollback on the stopped deployment put the listener back (listenerRestoredAt)
    const restored = { ...HELD, phase: 'ROLLING_BACK', listenerRestoredAt: '2026-11-16T14:40:00.000Z' };
    const world = unlockWorld({ lock: restored, status: 'ABORTED' });

    // Act
    const { code, stdout, stderr } = await world.run(['unlock', '--force', '--yes']);

    // Assess
    expect([code, stderr, world.questions]).toEqual([0, '', []]);
    expect(callsOf(world.dynamo)).toEqual([['GetCommand', LOCK_READ], conditionalDelete(HOLDER, 'HELD')]);
    expect(stdout).toContain(`Cleared the lock held by ${HOLDER} (HELD).`);
  });

  it('with --yes, clears an orphan HELD lock of a deployment stopped before any traffic', async () => {
    // Prepare
    const world = unlockWorld({ lock: { ...HELD, phase: 'PROVISIONING', greenWeight: 0 }, status: 'PENDING_REDRIVE' });
    const stopped = unlockWorld({ lock: { ...HELD, phase: 'PROVISIONING', greenWeight: 0 }, status: 'ABORTED' });

    // Act
    const redriving = await world.run(['unlock', '--force', '--yes']);
    const cleared = await stopped.run(['unlock', '--force', '--yes']);

    // Assess: an execution about to be redriven still needs its lock
    expect(redriving.code).toBe(EXIT_CODES.LOCK_HELD);
    expect(cleared.code).toBe(0);
  });

  it('with --json, answers one document; an execution Step Functions no longer has leaves an orphan', async () => {
    // Prepare
    const world = unlockWorld({ lock: HELD_BEFORE_TRAFFIC, status: 'GONE' });

    // Act
    const { code, stdout } = await world.run(['--json', 'unlock', '--force', '--yes']);

    // Assess
    expect(code).toBe(0);
    expect(onlyJsonDocument(stdout)).toEqual({
      cleared: true,
      lock: {
        holder: HOLDER,
        lockState: 'HELD',
        phase: 'PROVISIONING',
        releaseVersion: '1.3.9',
        acquiredAt: '2026-11-16T14:00:01.000Z',
        escalatedAt: null,
        expiresAt: '2027-01-15T08:00:00Z',
        rollback: null,
        execution: { executionArn: EXECUTION_ARN, status: 'NOT_FOUND', error: null, stoppedAt: null },
      },
    });
  });

  describe('refuses, clears nothing, and says why', () => {
    it('a HELD lock of a running execution: LOCK_HELD, without asking (roll it back or stop it first)', async () => {
      // Prepare
      const world = unlockWorld({ lock: HELD, status: 'RUNNING', answer: true });

      // Act
      const human = await world.run(['unlock', '--force']);
      const json = await world.run(['--json', 'unlock', '--force', '--yes']);

      // Assess
      expect(human.code).toBe(EXIT_CODES.LOCK_HELD);
      expect(human.stderr).toMatchInlineSnapshot(`
        "crew: deployment rel-1-3-9-20261116-140000-abcd is running and holds the lock (HELD, phase CUTOVER): crew unlock does not clear a running deployment's lock
          roll it back (crew rollback rel-1-3-9-20261116-140000-abcd --reason ...); stopping its execution does not put traffic back
        "
      `);
      expect(json.code).toBe(EXIT_CODES.LOCK_HELD);
      expect(onlyJsonDocument(json.stdout)).toMatchObject({ error: { code: 'LOCK_HELD' } });
      expect(world.questions).toEqual([]);
      expect(world.dynamo.commandCalls(DeleteCommand)).toEqual([]);
    });

    it('no lock: NOT_LOCKED', async () => {
      // Prepare
      const world = unlockWorld();

      // Act
      const { code, stdout, stderr } = await world.run(['unlock', '--force', '--yes']);

      // Assess
      expect([code, stdout]).toEqual([EXIT_CODES.NOT_LOCKED, '']);
      expect(stderr).toBe('crew: no deployment holds the lock: there is nothing to unlock\n  nothing was changed\n');
      expect(callsOf(world.dynamo)).toEqual([['GetCommand', LOCK_READ]]);
      expect(world.sfn.calls()).toEqual([]);
    });

    it('the operator declines: ABORTED', async () => {
      // Prepare
      const world = unlockWorld({ lock: ESCALATED, answer: false });

      // Act
      const { code, stdout, stderr } = await world.run(['unlock', '--force']);

      // Assess
      expect([code, stdout]).toEqual([EXIT_CODES.ABORTED, '']);
      expect(stderr).toContain(
        `crew: not confirmed: the lock held by ${HOLDER} was not cleared\n  pass --yes to clear it without asking (scripts, no terminal)\n`,
      );
      expect(world.questions).toHaveLength(1);
      expect(world.dynamo.commandCalls(DeleteCommand)).toEqual([]);
    });

    it('the lock changed between the read and the delete: LOCK_CHANGED, naming what holds it now', async () => {
      // Prepare: a new deployment took the lock over meanwhile.
      const world = unlockWorld({ lock: HELD_BEFORE_TRAFFIC, status: 'ABORTED' });
      world.dynamo
        .on(DeleteCommand)
        .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
      world.dynamo
        .on(GetCommand)
        .resolvesOnce({ Item: HELD_BEFORE_TRAFFIC })
        .resolves({ Item: { ...HELD, holder: 'rel-1-4-0-20261117-093000-beef', lockState: 'HELD' } });

      // Act
      const { code, stderr } = await world.run(['unlock', '--force', '--yes']);

      // Assess
      expect(code).toBe(EXIT_CODES.LOCK_CHANGED);
      expect(stderr).toBe(
        `crew: the lock changed meanwhile (it is now HELD by rel-1-4-0-20261117-093000-beef, it was HELD by ${HOLDER}): nothing was deleted\n` +
          '  run crew unlock --force again to see what holds it now\n',
      );
      expect(callsOf(world.dynamo).map(([name]) => name)).toEqual(['GetCommand', 'DeleteCommand', 'GetCommand']);
    });

    it('the lock was cleared by someone else meanwhile: LOCK_CHANGED too', async () => {
      // Prepare
      const world = unlockWorld({ lock: HELD_BEFORE_TRAFFIC, status: 'ABORTED' });
      world.dynamo
        .on(DeleteCommand)
        .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
      world.dynamo.on(GetCommand).resolvesOnce({ Item: HELD_BEFORE_TRAFFIC }).resolves({});

      // Act
      const { code, stderr } = await world.run(['unlock', '--force', '--yes']);

      // Assess
      expect(code).toBe(EXIT_CODES.LOCK_CHANGED);
      expect(stderr).toContain(
        `crew: the lock of ${HOLDER} was cleared by someone else meanwhile: nothing was deleted\n`,
      );
    });

    it('without --force: a usage error before any AWS call', async () => {
      // Prepare
      const world = unlockWorld({ lock: ESCALATED });

      // Act
      const { code } = await world.run(['unlock', '--yes']);

      // Assess
      expect(code).toBe(EXIT_CODES.USAGE);
      expect([world.dynamo.calls(), world.sfn.calls()]).toEqual([[], []]);
    });
  });

  it('never prints the task token the lock item holds, in any outcome or mode', async () => {
    // Prepare
    const worlds = [
      unlockWorld({ lock: ESCALATED, answer: true }),
      unlockWorld({ lock: ESCALATED, answer: false }),
      unlockWorld({ lock: HELD, status: 'RUNNING' }),
    ];

    // Act
    const outputs = [];
    for (const world of worlds) {
      outputs.push(await world.run(['unlock', '--force']), await world.run(['--json', 'unlock', '--force', '--yes']));
    }

    // Assess
    expect(outputs.map(({ code }) => code)).toEqual([
      0,
      0,
      EXIT_CODES.ABORTED,
      0,
      EXIT_CODES.LOCK_HELD,
      EXIT_CODES.LOCK_HELD,
    ]);
    for (const { stdout, stderr } of outputs) expect(`${stdout}${stderr}`).not.toContain('SECRETTASKTOKEN');
  });
});
