import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { WATCH_INTERVAL_MS } from '../../crew/commands/status';
import { createContext } from '../../crew/context';
import { run } from '../../crew/main';
import { LOCK_KEY, onlyJsonDocument, REGION, STACK_NAME, STATE_MACHINE_ARN, stackOutputs } from './support';

/**
 * `crew status --watch`: redraws until the execution ends, then the final status is printed once (by main.ts):
 * in place on a terminal, as appended blocks in a log, and not at all before the end with --json.
 */

const NAME = 'rel-2-0-0-20261117-090000-f00d';
const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${NAME}`;
const START = new Date('2026-11-17T09:10:00Z');
const TOKEN = `SECRETTASKTOKEN${'QUFBQUtnQUFBQU1B'.repeat(40)}`;

const stateWith = (greenWeight: number, verdict: unknown = null) =>
  JSON.stringify({
    deployment: { name: NAME, executionArn: EXECUTION_ARN, startedAt: '2026-11-17T09:00:00Z' },
    settings: { bakeSeconds: 300 },
    canary: { steps: [25, 100], stepIndex: 0, greenWeight, verdict },
  });
const event = (id: number, type: HistoryEvent['type'], time: string, details: Partial<HistoryEvent> = {}) => ({
  id,
  previousEventId: id - 1,
  type,
  timestamp: new Date(`2026-11-17T${time}Z`),
  ...details,
});
/** Newest first: baking the first step (25 %) since 09:09:58. */
const BAKING: HistoryEvent[] = [
  event(3, 'TaskScheduled', '09:09:58', {
    taskScheduledEventDetails: {
      resource: 'x',
      resourceType: 'lambda',
      region: REGION,
      parameters: JSON.stringify({ TOKEN }),
    },
  }),
  event(2, 'TaskStateEntered', '09:09:58', { stateEnteredEventDetails: { name: 'BakeStep', input: stateWith(25) } }),
  event(1, 'ExecutionStarted', '09:00:00'),
];
const VERDICT = { decision: 'advance', errorRatePercent: 0.1, p95LatencyMs: 90, dbConnectionsPercent: 20 };
const EVALUATED: HistoryEvent[] = [
  event(5, 'TaskStateExited', '09:15:05', {
    stateExitedEventDetails: { name: 'EvaluateStep', output: stateWith(25, VERDICT) },
  }),
  event(4, 'TaskStateEntered', '09:15:00', {
    stateEnteredEventDetails: { name: 'EvaluateStep', input: stateWith(25) },
  }),
  ...BAKING,
];
const SUCCEEDED_EVENTS: HistoryEvent[] = [event(7, 'ExecutionSucceeded', '09:16:00'), ...EVALUATED];
const RUNNING: DescribeExecutionCommandOutput = {
  $metadata: {},
  executionArn: EXECUTION_ARN,
  stateMachineArn: STATE_MACHINE_ARN,
  name: NAME,
  status: 'RUNNING',
  startDate: new Date('2026-11-17T09:00:00Z'),
};
const SUCCEEDED = { ...RUNNING, status: 'SUCCEEDED' as const, stopDate: new Date('2026-11-17T09:16:00Z') };
const LOCK = {
  pk: LOCK_KEY,
  sk: 'LOCK',
  holder: NAME,
  lockState: 'HELD',
  phase: 'CUTOVER',
  greenWeight: 25,
  bakeToken: TOKEN,
  bakeStartedAt: '2026-11-17T09:10:00Z',
  acquiredAt: '2026-11-17T09:00:01Z',
};

/**
 * Mocked clients behind the real createContext and main.ts, a terminal or a log, and a clock that moves only when the
 * watcher sleeps (`secondsPerSleep`, as if each refresh also took time). `polls` is what each refresh finds.
 */
function watchWorld(options: {
  isTTY: boolean;
  secondsPerSleep?: number;
  polls: readonly { execution: DescribeExecutionCommandOutput; events: HistoryEvent[]; lock?: object }[];
}) {
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
      Stacks: [{ StackName: STACK_NAME, StackStatus: 'UPDATE_COMPLETE', CreationTime: START, Outputs: stackOutputs() }],
    });
  sfn.onAnyCommand().rejects(new Error('unexpected SFN call'));
  dynamo.onAnyCommand().rejects(new Error('unexpected DynamoDB call'));
  let poll = 0;
  const current = () => options.polls[Math.min(poll, options.polls.length - 1)];
  sfn.on(DescribeExecutionCommand).callsFake(() => current()?.execution);
  sfn.on(GetExecutionHistoryCommand).callsFake(() => ({ events: current()?.events }));
  dynamo.on(GetCommand).callsFake(() => ({ Item: current()?.lock }));
  dynamo.on(QueryCommand).resolves({ Items: [] });

  const clock = { now: new Date(START) };
  const chunks: string[] = [];
  const sleeps: number[] = [];
  const world = {
    chunks,
    sleeps,
    async run(argv: readonly string[]) {
      const stderr: string[] = [];
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
              stdout: (text) => chunks.push(text),
              stderr: (text) => stderr.push(text),
              confirm: async () => {
                throw new Error('no confirmation is expected');
              },
              isTTY: options.isTTY,
              sleep: async (ms) => {
                sleeps.push(ms);
                poll += 1;
                clock.now = new Date(clock.now.getTime() + (options.secondsPerSleep ?? ms / 1000) * 1000);
              },
            },
            now: () => new Date(clock.now),
          }),
        rehearse: async () => 0,
        stdout: (text) => chunks.push(text),
        stderr: (text) => stderr.push(text),
      });
      return { code, stdout: chunks.join(''), stderr: stderr.join('') };
    },
  };
  return world;
}

const baking = { execution: RUNNING, events: BAKING, lock: LOCK };
const finished = { execution: SUCCEEDED, events: SUCCEEDED_EVENTS };
const ESC = '\u001b';
const CURSOR_UP_CLEAR = new RegExp(`^${ESC}\\[(\\d+)A${ESC}\\[J`);

describe('crew status --watch', () => {
  it('on a terminal, redraws the block in place every few seconds and ends with the final status', async () => {
    // Prepare
    const world = watchWorld({ isTTY: true, polls: [baking, baking, finished] });

    // Act
    const { code, stderr } = await world.run(['status', NAME, '--watch']);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    expect(world.sleeps).toEqual([WATCH_INTERVAL_MS, WATCH_INTERVAL_MS]);
    const [first = '', second = '', erase = '', ...final] = world.chunks;
    const height = first.split('\n').length - 1;
    expect(first).toContain('bake       step 1 at 25 % green: [--------------------] 5m 00s left of 5m 00s');
    expect(second.match(CURSOR_UP_CLEAR)?.[1]).toBe(String(height));
    expect(second).toContain('  green      25 %\n');
    expect(second).toContain('[--------------------] 4m 55s left of 5m 00s (ends 2026-11-17T09:15:00Z)');
    // The last block drawn is erased; main.ts prints the final status in its place.
    expect(erase).toBe(`\u001b[${height}A\u001b[J`);
    expect(final.join('')).toContain('  execution  SUCCEEDED at 2026-11-17T09:16:00Z (16m 00s)\n');
    expect(final.join('')).not.toContain('bake ');
    expect(world.chunks.join('')).not.toContain('SECRETTASKTOKEN');
  });

  it('in a log, appends a block when something changed, and the bake progress at most once a minute', async () => {
    // Prepare: each refresh takes 30 s.
    const evaluating = { ...baking, events: EVALUATED };
    const world = watchWorld({
      isTTY: false,
      secondsPerSleep: 30,
      polls: [baking, baking, baking, evaluating, finished],
    });

    // Act
    const { code, stdout } = await world.run(['status', NAME, '--watch']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).not.toContain(ESC);
    const blocks = stdout.split(/^Deployment /m).slice(1);
    expect(blocks).toHaveLength(3);
    // 09:10:00 drawn; 09:10:30 nothing new; 09:11:00 only the progress line; 09:11:30 the verdict came in.
    expect(blocks[0]).toContain(
      '\n  2026-11-17T09:11:00Z  bake step 1 at 25 % green: [####----------------] 4m 00s left',
    );
    expect(blocks[0]?.match(/left of/g)).toHaveLength(2);
    expect(blocks[1]).toContain('verdict    advance at 25 % (2026-11-17T09:15:05Z)');
    expect(blocks[2]).toContain('execution  SUCCEEDED');
  });

  it('with --json, prints nothing until the end, then the final status document alone', async () => {
    // Prepare
    const world = watchWorld({ isTTY: true, polls: [baking, baking, finished] });

    // Act
    const { code, stdout } = await world.run(['--json', 'status', NAME, '--watch']);

    // Assess
    expect(code).toBe(0);
    expect(world.sleeps).toHaveLength(2);
    expect(world.chunks).toHaveLength(1);
    expect(onlyJsonDocument(stdout)).toMatchObject({
      deployment: NAME,
      execution: { status: 'SUCCEEDED', stoppedAt: '2026-11-17T09:16:00Z' },
      phase: 'SUCCEEDED',
      bake: null,
      verdict: { decision: 'advance', greenWeight: 25 },
    });
  });
});
