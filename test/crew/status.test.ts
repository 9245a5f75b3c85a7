import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandInput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../crew/errors';
import { callsOf, crewWorld, LOCK_KEY, onlyJsonDocument, REGION, STATE_MACHINE_ARN, STATE_TABLE } from './support';

/**
 * `crew status`: what a deployment is doing, from the lock, the approvals and the newest end of its history (read
 * newest first, bounded), without ever printing a task token.
 */

const NAME = 'rel-1-4-0-20261117-085533-beef';
const EXECUTION_ARN = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${NAME}`;
/** A recognisable task token, planted wherever AWS would hold one. */
const TOKEN = `SECRETTASKTOKEN${'QUFBQUtnQUFBQU1B'.repeat(40)}`;
const at = (time: string) => new Date(`2026-11-17T${time}Z`);

/** The state machine's state (`$`) as the history's inputs and outputs carry it. */
function state(canary: Record<string, unknown> | null, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    deployment: { name: NAME, executionArn: EXECUTION_ARN, startedAt: '2026-11-17T08:55:33.000Z' },
    release: { version: '1.4.0', image: 'shop/web:1.4.0', schemaChange: false },
    settings: { bakeSeconds: 600, approvalTimeoutSeconds: 3600 },
    ...(canary === null ? {} : { canary }),
    ...extra,
  });
}

const VERDICT = {
  decision: 'advance',
  trigger: null,
  inconclusive: false,
  reasons: ['error rate 0.4 % under 5 %'],
  errorRatePercent: 0.4,
  p95LatencyMs: 182,
  dbConnectionsPercent: 35,
  pendingMinutes: 0,
  retryAfterSeconds: null,
};
const canary = (stepIndex: number, greenWeight: number, verdict: unknown = null) => ({
  steps: [10, 50, 100],
  stepIndex,
  greenWeight,
  inconclusiveCount: 0,
  bakeStartedAt: null,
  bakeEndedAt: null,
  baseline: null,
  verdict,
  history: [],
});

type Step = readonly [HistoryEvent['type'], string, Partial<HistoryEvent>?];
/** Events numbered in order, each following the one before; answered newest first as reverseOrder asks. */
function history(steps: readonly Step[]): HistoryEvent[] {
  return steps
    .map(([type, time, details], index) => ({
      id: index + 1,
      previousEventId: index,
      type,
      timestamp: at(time),
      ...details,
    }))
    .reverse();
}
const entered = (name: string, input: string) => ({ stateEnteredEventDetails: { name, input } });
const exited = (name: string, output: string) => ({ stateExitedEventDetails: { name, output } });
const LAMBDA = { resourceType: 'lambda', resource: 'invoke' };
const scheduledWithToken = {
  taskScheduledEventDetails: {
    ...LAMBDA,
    region: REGION,
    parameters: JSON.stringify({ FunctionName: 'orchestrator', Payload: { taskToken: TOKEN } }),
  },
};
const task = (name: string, from: string, to: string, output: string): Step[] => [
  ['TaskStateEntered', from, entered(name, output)],
  ['TaskScheduled', from, { taskScheduledEventDetails: { ...LAMBDA, region: REGION, parameters: '{}' } }],
  ['TaskStarted', from],
  ['TaskSucceeded', to, { taskSucceededEventDetails: { ...LAMBDA, output: '{}' } }],
  ['TaskStateExited', to, exited(name, output)],
];

/** Baking step 2 (50 %) since 10:30:33 for 10 minutes; the first step's verdict was advance. */
const RUNNING_BAKE = history([
  ['ExecutionStarted', '08:55:33', { executionStartedEventDetails: { input: '{}' } }],
  ['TaskStateEntered', '08:55:38', entered('RequestChairmanApproval', state(null))],
  ['TaskScheduled', '08:55:38', scheduledWithToken],
  ['TaskSubmitted', '08:55:39', { taskSubmittedEventDetails: { ...LAMBDA, output: JSON.stringify({ TOKEN }) } }],
  ['TaskSucceeded', '08:58:33', { taskSucceededEventDetails: { ...LAMBDA, output: '{}' } }],
  ['TaskStateExited', '08:58:33', exited('RequestChairmanApproval', state(null))],
  ...task('ShiftTraffic', '09:15:34', '09:15:43', state(canary(0, 10))),
  ['TaskStateEntered', '09:15:44', entered('BakeStep', state(canary(0, 10)))],
  ['TaskScheduled', '09:15:44', scheduledWithToken],
  ['TaskTimedOut', '09:25:44', { taskTimedOutEventDetails: { ...LAMBDA, error: 'States.Timeout' } }],
  ['TaskStateExited', '09:25:44', exited('BakeStep', state(canary(0, 10)))],
  ...task('EvaluateStep', '09:25:45', '09:25:53', state(canary(0, 10, VERDICT))),
  ['ChoiceStateEntered', '09:25:53', entered('RouteVerdict', state(canary(0, 10, VERDICT)))],
  ['ChoiceStateExited', '09:25:53', exited('RouteVerdict', state(canary(0, 10, VERDICT)))],
  ...task('ShiftTraffic', '09:25:54', '09:26:03', state(canary(1, 50, VERDICT))),
  ['TaskStateEntered', '09:26:05', entered('BakeStep', state(canary(1, 50, VERDICT)))],
  ['TaskScheduled', '09:26:05', scheduledWithToken],
  ['TaskSubmitted', '09:26:06', { taskSubmittedEventDetails: { ...LAMBDA, output: JSON.stringify({ TOKEN }) } }],
]);

const HELD_LOCK = {
  pk: LOCK_KEY,
  sk: 'LOCK',
  holder: NAME,
  lockState: 'HELD',
  executionArn: EXECUTION_ARN,
  releaseVersion: '1.4.0',
  acquiredAt: '2026-11-17T08:55:34.000Z',
  expiresAt: 1_800_000_000,
  phase: 'CUTOVER',
  sides: {
    live: { targetGroupArn: 'arn:tg/blue', serviceName: 'shop-blue' },
    green: { targetGroupArn: 'arn:tg/green', serviceName: 'shop-green' },
    stickiness: null,
    resolvedAt: '2026-11-17T09:14:33.000Z',
  },
  greenWeight: 50,
  bakeToken: TOKEN,
  bakeStartedAt: '2026-11-17T09:26:06.000Z',
};

const RUNNING: DescribeExecutionCommandOutput = {
  $metadata: {},
  executionArn: EXECUTION_ARN,
  stateMachineArn: STATE_MACHINE_ARN,
  name: NAME,
  status: 'RUNNING',
  startDate: at('08:55:33'),
};

/** GetExecutionHistory over `events` (newest first), `maxResults` a page, the offset as the next token. */
function answerPages(events: readonly HistoryEvent[]) {
  return (input: GetExecutionHistoryCommandInput) => {
    const start = Number(input.nextToken ?? 0);
    const end = start + (input.maxResults ?? 100);
    return { events: events.slice(start, end), ...(end < events.length ? { nextToken: String(end) } : {}) };
  };
}

/** The world of a deployment baking its second step. */
function bakingWorld() {
  const world = crewWorld();
  world.sfn.on(DescribeExecutionCommand).resolves(RUNNING);
  world.sfn.on(GetExecutionHistoryCommand).callsFake(answerPages(RUNNING_BAKE));
  world.dynamo.on(GetCommand).resolves({ Item: HELD_LOCK });
  world.dynamo.on(QueryCommand).resolves({
    Items: [{ pk: `DEPLOYMENT#${NAME}`, sk: 'APPROVAL#START', kind: 'START', status: 'APPROVED', taskToken: TOKEN }],
  });
  return world;
}

const LOCK_READ = {
  TableName: STATE_TABLE,
  Key: { pk: LOCK_KEY, sk: 'LOCK' },
  ConsistentRead: true,
  ProjectionExpression: '#a0, #a1, #a2, #a3, #a4, #a5, #a6, #a7, #a8, #a9, #a10, #a11, #a12, #a13',
  ExpressionAttributeNames: {
    '#a0': 'holder',
    '#a1': 'lockState',
    '#a2': 'executionArn',
    '#a3': 'releaseVersion',
    '#a4': 'acquiredAt',
    '#a5': 'escalatedAt',
    '#a6': 'expiresAt',
    '#a7': 'phase',
    '#a8': 'phaseBeforeRollback',
    '#a9': 'sides',
    '#a10': 'greenWeight',
    '#a11': 'bakeStartedAt',
    '#a12': 'rollback',
    '#a13': 'listenerRestoredAt',
  },
};

/** Rolling back after an alarm failed the bake; the Chairman is asked to confirm the database restore. */
const ROLLING_BACK = history([
  ['ExecutionStarted', '08:55:33', { executionStartedEventDetails: { input: '{}' } }],
  ['TaskStateEntered', '09:26:05', entered('BakeStep', state(canary(1, 50, VERDICT)))],
  ['TaskScheduled', '09:26:05', scheduledWithToken],
  // A cause must never carry a token; if one ever does, it is not printed.
  [
    'TaskFailed',
    '09:27:40',
    { taskFailedEventDetails: { ...LAMBDA, error: 'AlarmTriggered', cause: `shop-green-5xx in ALARM (${TOKEN})` } },
  ],
  ['TaskStateExited', '09:27:40', exited('BakeStep', state(canary(1, 50, VERDICT)))],
  ['PassStateEntered', '09:27:40', entered('RecordRollbackRequest', state(canary(1, 50, VERDICT)))],
  ['PassStateExited', '09:27:40', exited('RecordRollbackRequest', state(canary(1, 50, VERDICT)))],
  ...task('BeginRollback', '09:27:41', '09:27:45', state(canary(1, 50, VERDICT))),
  ...task('RollbackTraffic', '09:27:46', '09:27:50', state(canary(1, 50, VERDICT))),
  ['WaitStateEntered', '09:27:50', entered('WaitBeforeVerifyingRollback', state(canary(1, 50, VERDICT)))],
  ['WaitStateExited', '09:28:20', exited('WaitBeforeVerifyingRollback', state(canary(1, 50, VERDICT)))],
  ...task('VerifyTrafficRollback', '09:28:21', '09:28:25', state(canary(1, 50, VERDICT))),
  ['TaskStateEntered', '09:28:26', entered('ConfirmDatabaseRollback', state(canary(1, 50, VERDICT)))],
  ['TaskScheduled', '09:28:26', scheduledWithToken],
]);

function rollingBackWorld() {
  const world = crewWorld();
  world.sfn.on(DescribeExecutionCommand).resolves(RUNNING);
  world.sfn.on(GetExecutionHistoryCommand).callsFake(answerPages(ROLLING_BACK));
  const { bakeToken: _gone, bakeStartedAt: _old, ...lock } = HELD_LOCK;
  world.dynamo.on(GetCommand).resolves({
    Item: {
      ...lock,
      phase: 'ROLLING_BACK',
      phaseBeforeRollback: 'CUTOVER',
      greenWeight: 0,
      rollback: {
        trigger: 'ALARM',
        reason: 'shop-green-5xx in ALARM',
        requestedAt: '2026-11-17T09:27:39.500Z',
        requestedBy: 'alarm-listener',
        alarmName: 'shop-green-5xx',
      },
      listenerRestoredAt: '2026-11-17T09:27:40.100Z',
    },
  });
  world.dynamo.on(QueryCommand).resolves({
    Items: [
      {
        sk: 'APPROVAL#START',
        kind: 'START',
        status: 'APPROVED',
        taskToken: TOKEN,
        requestedAt: '2026-11-17T08:55:39Z',
      },
      {
        sk: 'APPROVAL#DATABASE_ROLLBACK',
        kind: 'DATABASE_ROLLBACK',
        status: 'PENDING',
        taskToken: TOKEN,
        requestedAt: '2026-11-17T09:28:27.000Z',
        deadline: '2026-11-17T10:28:27.000Z',
      },
    ],
  });
  return world;
}

const REPORT = {
  outcome: 'PROMOTED',
  summary: 'released 1.4.0: 3 steps, no rollback',
  ready: true,
  json: `s3://deploymentcrew-reports-1a2b3c/reports/${NAME}/report.json`,
  markdown: `s3://deploymentcrew-reports-1a2b3c/reports/${NAME}/report.md`,
  consoleUrl: 'https://eu-west-1.console.aws.amazon.com/s3/object/deploymentcrew-reports-1a2b3c',
  risks: 0,
};

/** Promoted and released; the next deployment already holds the lock. */
function succeededWorld() {
  const world = crewWorld();
  const output = { canary: canary(2, 100, { ...VERDICT, decision: 'promote' }), deploymentReport: REPORT };
  world.sfn.on(DescribeExecutionCommand).resolves({
    ...RUNNING,
    status: 'SUCCEEDED',
    stopDate: at('09:20:00'),
    output: JSON.stringify(output),
  });
  world.sfn
    .on(GetExecutionHistoryCommand)
    .callsFake(
      answerPages(
        history([
          ['ExecutionStarted', '08:55:33', { executionStartedEventDetails: { input: '{}' } }],
          ...task('WriteReport', '09:19:50', '09:19:58', state(output.canary, { deploymentReport: REPORT })),
          [
            'PassStateEntered',
            '09:19:59',
            entered('DeploymentReady', state(output.canary, { deploymentReport: REPORT })),
          ],
          ['SucceedStateEntered', '09:20:00', entered('DeploymentSucceeded', JSON.stringify(output))],
          ['ExecutionSucceeded', '09:20:00', { executionSucceededEventDetails: { output: JSON.stringify(output) } }],
        ]),
      ),
    );
  world.dynamo
    .on(GetCommand)
    .resolves({ Item: { ...HELD_LOCK, holder: 'rel-1-4-1-20261117-092500-cafe', phase: 'VALIDATION' } });
  return world;
}

/** Green's readiness polled for a long time: many events, no verdict anywhere. */
function pollingEvents(polls: number): Step[] {
  return Array.from({ length: polls }, (): Step[] => [
    ['WaitStateEntered', '09:00:00', entered('WaitForGreen', state(null))],
    ['WaitStateExited', '09:00:30', exited('WaitForGreen', state(null))],
    ...task('CheckGreen', '09:00:30', '09:00:31', state(null)),
    ['ChoiceStateEntered', '09:00:31', entered('IsGreenReady', state(null))],
    ['ChoiceStateExited', '09:00:31', exited('IsGreenReady', state(null))],
  ]).flat();
}

describe('crew status', () => {
  it('shows the phase, weight, verdict, bake time left and last events of a running deployment', async () => {
    // Prepare
    const world = bakingWorld();

    // Act
    const { code, stdout, stderr } = await world.run(['status', NAME]);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    expect(callsOf(world.sfn)).toEqual([
      ['DescribeExecutionCommand', { executionArn: EXECUTION_ARN }],
      [
        'GetExecutionHistoryCommand',
        { executionArn: EXECUTION_ARN, reverseOrder: true, maxResults: 100, includeExecutionData: true },
      ],
    ]);
    expect(callsOf(world.dynamo)).toEqual([
      ['GetCommand', LOCK_READ],
      [
        'QueryCommand',
        {
          TableName: STATE_TABLE,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :approval)',
          ProjectionExpression: '#a0, #a1, #a2, #a3',
          ExpressionAttributeNames: {
            '#a0': 'kind',
            '#a1': 'status',
            '#a2': 'requestedAt',
            '#a3': 'deadline',
            '#pk': 'pk',
            '#sk': 'sk',
          },
          ExpressionAttributeValues: { ':pk': `DEPLOYMENT#${NAME}`, ':approval': 'APPROVAL#' },
          ConsistentRead: true,
        },
      ],
    ]);
    expect(stdout).toMatchInlineSnapshot(`
      "Deployment rel-1-4-0-20261117-085533-beef (as of 2026-11-17T09:30:05Z)
        execution  RUNNING since 2026-11-17T08:55:33Z (34m 32s)
        phase      CUTOVER (lock HELD since 2026-11-17T08:55:34Z)
        state      BakeStep since 2026-11-17T09:26:05Z
        green      50 % (live shop-blue, green shop-green)
        verdict    advance at 10 % (2026-11-17T09:25:53Z): error rate 0.4 %, p95 182 ms, DB connections 35 %
        bake       step 2 at 50 % green: [########------------] 6m 01s left of 10m 00s (ends 2026-11-17T09:36:06Z)

      Last events:
        2026-11-17T09:15:43Z  ShiftTraffic  green at 10 %
        2026-11-17T09:15:44Z  BakeStep      baking at 10 % green for 10m 00s
        2026-11-17T09:25:44Z  BakeStep      bake time over
        2026-11-17T09:25:45Z  EvaluateStep  evaluating the bake
        2026-11-17T09:25:53Z  EvaluateStep  verdict advance: error rate 0.4 %, p95 182 ms
        2026-11-17T09:25:54Z  ShiftTraffic  shifting traffic
        2026-11-17T09:26:03Z  ShiftTraffic  green at 50 %
        2026-11-17T09:26:05Z  BakeStep      baking at 50 % green for 10m 00s
      "
    `);
  });

  it('prints the status as one JSON document with --json', async () => {
    // Prepare
    const world = bakingWorld();

    // Act
    const { code, stdout, stderr } = await world.run(['--json', 'status', NAME]);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    expect(onlyJsonDocument(stdout)).toMatchInlineSnapshot(`
      {
        "approvals": [],
        "asOf": "2026-11-17T09:30:05Z",
        "bake": {
          "endsAt": "2026-11-17T09:36:06Z",
          "greenWeight": 50,
          "seconds": 600,
          "secondsLeft": 361,
          "startedAt": "2026-11-17T09:26:06Z",
          "stepIndex": 1,
        },
        "currentState": {
          "name": "BakeStep",
          "since": "2026-11-17T09:26:05Z",
        },
        "deployment": "rel-1-4-0-20261117-085533-beef",
        "events": [
          {
            "at": "2026-11-17T09:15:43Z",
            "state": "ShiftTraffic",
            "what": "green at 10 %",
          },
          {
            "at": "2026-11-17T09:15:44Z",
            "state": "BakeStep",
            "what": "baking at 10 % green for 10m 00s",
          },
          {
            "at": "2026-11-17T09:25:44Z",
            "state": "BakeStep",
            "what": "bake time over",
          },
          {
            "at": "2026-11-17T09:25:45Z",
            "state": "EvaluateStep",
            "what": "evaluating the bake",
          },
          {
            "at": "2026-11-17T09:25:53Z",
            "state": "EvaluateStep",
            "what": "verdict advance: error rate 0.4 %, p95 182 ms",
          },
          {
            "at": "2026-11-17T09:25:54Z",
            "state": "ShiftTraffic",
            "what": "shifting traffic",
          },
          {
            "at": "2026-11-17T09:26:03Z",
            "state": "ShiftTraffic",
            "what": "green at 50 %",
          },
          {
            "at": "2026-11-17T09:26:05Z",
            "state": "BakeStep",
            "what": "baking at 50 % green for 10m 00s",
          },
        ],
        "execution": {
          "cause": null,
          "elapsedSeconds": 2072,
          "error": null,
          "startedAt": "2026-11-17T08:55:33Z",
          "status": "RUNNING",
          "stoppedAt": null,
        },
        "executionArn": "arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrewWorkflow:rel-1-4-0-20261117-085533-beef",
        "greenWeight": 50,
        "historyRead": {
          "complete": true,
          "events": 30,
        },
        "lock": {
          "acquiredAt": "2026-11-17T08:55:34.000Z",
          "escalatedAt": null,
          "heldByThisDeployment": true,
          "holder": "rel-1-4-0-20261117-085533-beef",
          "lockState": "HELD",
        },
        "phase": "CUTOVER",
        "phaseSource": "lock",
        "report": null,
        "rollbackRequest": null,
        "sides": {
          "green": "shop-green",
          "live": "shop-blue",
        },
        "verdict": {
          "at": "2026-11-17T09:25:53Z",
          "dbConnectionsPercent": 35,
          "decision": "advance",
          "errorRatePercent": 0.4,
          "greenWeight": 10,
          "inconclusive": false,
          "p95LatencyMs": 182,
          "pendingMinutes": 0,
          "reasons": [
            "error rate 0.4 % under 5 %",
          ],
        },
      }
    `);
  });

  it('shows a rollback in progress: the request, and the approval waiting with its expiry', async () => {
    // Prepare
    const world = rollingBackWorld();

    // Act
    const { code, stdout } = await world.run(['status', NAME]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toMatchInlineSnapshot(`
      "Deployment rel-1-4-0-20261117-085533-beef (as of 2026-11-17T09:30:05Z)
        execution  RUNNING since 2026-11-17T08:55:33Z (34m 32s)
        phase      ROLLING_BACK (lock HELD since 2026-11-17T08:55:34Z)
        state      ConfirmDatabaseRollback since 2026-11-17T09:28:26Z
        green      0 % (live shop-blue, green shop-green)
        verdict    advance: error rate 0.4 %, p95 182 ms, DB connections 35 %
        rollback   requested (ALARM) by alarm-listener at 2026-11-17T09:27:39Z: shop-green-5xx in ALARM
        approval   DATABASE_ROLLBACK waiting since 2026-11-17T09:28:27Z, expires 2026-11-17T10:28:27Z

      Last events:
        2026-11-17T09:26:05Z  BakeStep                     baking at 50 % green for 10m 00s
        2026-11-17T09:27:40Z  BakeStep                     failed: AlarmTriggered: shop-green-5xx in ALARM ([redacted])
        2026-11-17T09:27:40Z  RecordRollbackRequest        entered
        2026-11-17T09:27:41Z  BeginRollback                started
        2026-11-17T09:27:46Z  RollbackTraffic              started
        2026-11-17T09:27:50Z  WaitBeforeVerifyingRollback  waiting
        2026-11-17T09:28:21Z  VerifyTrafficRollback        started
        2026-11-17T09:28:26Z  ConfirmDatabaseRollback      waiting for the Chairman to confirm the database rollback
      "
    `);
  });

  it('never prints a task token: not from the lock, the approvals, the events nor a cause', async () => {
    // Prepare: the mocks ignore the projections, so the token comes back wherever AWS would hold one.
    const worlds = [bakingWorld(), rollingBackWorld()];

    // Act
    const outputs = [];
    for (const world of worlds) {
      outputs.push(await world.run(['status', NAME]), await world.run(['--json', 'status', NAME]));
    }

    // Assess
    for (const { code, stdout, stderr } of outputs) {
      expect(code).toBe(0);
      expect(stdout).not.toContain('SECRETTASKTOKEN');
      expect(stdout).not.toContain('QUFBQUtnQUFBQU1B');
      expect(stderr).toBe('');
    }
  });

  it('of a finished deployment: the phase is the execution status, the report comes from the output', async () => {
    // Prepare
    const world = succeededWorld();

    // Act
    const { code, stdout } = await world.run(['status', NAME]);
    const json = await world.run(['--json', 'status', NAME]);

    // Assess: no approval can wait on an execution that ended, so none is read.
    expect(code).toBe(0);
    expect(callsOf(world.dynamo).map(([name]) => name)).toEqual(['GetCommand', 'GetCommand']);
    expect(stdout).toMatchInlineSnapshot(`
      "Deployment rel-1-4-0-20261117-085533-beef (as of 2026-11-17T09:30:05Z)
        execution  SUCCEEDED at 2026-11-17T09:20:00Z (24m 27s)
        phase      SUCCEEDED (the lock is HELD by rel-1-4-1-20261117-092500-cafe)
        green      100 %
        verdict    promote: error rate 0.4 %, p95 182 ms, DB connections 35 %
        report     s3://deploymentcrew-reports-1a2b3c/reports/rel-1-4-0-20261117-085533-beef/report.json

      Last events:
        2026-11-17T08:55:33Z  -                    execution started
        2026-11-17T09:19:50Z  WriteReport          started
        2026-11-17T09:19:59Z  DeploymentReady      entered
        2026-11-17T09:20:00Z  DeploymentSucceeded  succeeding
        2026-11-17T09:20:00Z  -                    execution succeeded
      "
    `);
    expect(onlyJsonDocument(json.stdout)).toMatchObject({
      phase: 'SUCCEEDED',
      phaseSource: 'execution',
      greenWeight: 100,
      lock: { holder: 'rel-1-4-1-20261117-092500-cafe', heldByThisDeployment: false },
      report: { json: REPORT.json, outcome: 'PROMOTED' },
      approvals: [],
      bake: null,
    });
  });

  it('of a failed rollback still holding the lock ESCALATED: the phase from the lock, and what to do', async () => {
    // Prepare
    const world = rollingBackWorld();
    world.sfn.on(DescribeExecutionCommand).resolves({
      ...RUNNING,
      status: 'FAILED',
      stopDate: at('09:29:00'),
      error: 'RollbackFailed',
      cause: 'DEPLOY-003: the rollback of the deployment failed (RollbackTraffic)',
    });
    world.dynamo.on(GetCommand).resolves({
      Item: { ...HELD_LOCK, lockState: 'ESCALATED', escalatedAt: '2026-11-17T09:28:50.000Z', phase: 'ROLLING_BACK' },
    });

    // Act
    const { code, stdout } = await world.run(['status', NAME]);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toContain('  execution  FAILED: RollbackFailed at 2026-11-17T09:29:00Z (33m 27s)\n');
    expect(stdout).toContain('  phase      ROLLING_BACK (lock ESCALATED since 2026-11-17T09:28:50Z)\n');
    expect(stdout).toContain('  next       production needs a person: follow the runbook, then crew unlock --force\n');
    expect(stdout).not.toContain('approval ');
    expect(stdout).not.toContain('  bake ');
  });

  it('reads the history newest first, at most 3 pages of 100, and says the rest was not read', async () => {
    // Prepare
    const world = crewWorld();
    world.sfn.on(DescribeExecutionCommand).resolves(RUNNING);
    const events = history([['ExecutionStarted', '08:55:33'], ...pollingEvents(50)]);
    world.sfn.on(GetExecutionHistoryCommand).callsFake(answerPages(events));
    world.dynamo.on(GetCommand).resolves({ Item: { ...HELD_LOCK, phase: 'PROVISIONING', greenWeight: 0 } });
    world.dynamo.on(QueryCommand).resolves({ Items: [] });

    // Act
    const { code, stdout } = await world.run(['status', NAME]);

    // Assess
    expect(code).toBe(0);
    expect(events.length).toBe(451);
    const pages = callsOf(world.sfn).filter(([name]) => name === 'GetExecutionHistoryCommand');
    expect(pages.map(([, input]) => (input as GetExecutionHistoryCommandInput).nextToken)).toEqual([
      undefined,
      '100',
      '200',
    ]);
    expect(stdout).toContain('Last events, from the newest 300:');
    expect(stdout).toContain('  verdict    none yet\n');
  });

  it('stops after the first page when it holds the events to show and the newest verdict', async () => {
    // Prepare: a long provisioning before the canary, so the history has older pages.
    const world = bakingWorld();
    const events = [...RUNNING_BAKE, ...history([['ExecutionStarted', '08:55:33'], ...pollingEvents(50)])];
    world.sfn.on(GetExecutionHistoryCommand).callsFake(answerPages(events));

    // Act
    const { code, stdout } = await world.run(['status', NAME]);

    // Assess
    expect(code).toBe(0);
    expect(callsOf(world.sfn).filter(([name]) => name === 'GetExecutionHistoryCommand')).toHaveLength(1);
    expect(stdout).toContain('Last events, from the newest 100:');
    expect(stdout).toContain('verdict    advance at 10 %');
  });

  it('of a deployment this stack never ran: UNKNOWN_DEPLOYMENT, nothing else read', async () => {
    // Prepare
    const world = crewWorld();
    world.sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    // Act
    const human = await world.run(['status', 'rel-9-9-9']);
    const json = await world.run(['--json', 'status', 'rel-9-9-9']);

    // Assess
    expect(human.code).toBe(EXIT_CODES.UNKNOWN_DEPLOYMENT);
    expect(human.stderr).toBe(
      "crew: no deployment named 'rel-9-9-9' in stack DeploymentCrew\n  crew history lists the deployments\n",
    );
    expect(json.code).toBe(EXIT_CODES.UNKNOWN_DEPLOYMENT);
    expect(onlyJsonDocument(json.stdout)).toMatchObject({ error: { code: 'UNKNOWN_DEPLOYMENT' } });
    expect(world.dynamo.calls()).toEqual([]);
    expect(callsOf(world.sfn).map(([name]) => name)).toEqual(['DescribeExecutionCommand', 'DescribeExecutionCommand']);
  });
});
