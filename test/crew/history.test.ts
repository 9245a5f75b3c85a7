import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
} from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { callsOf, crewWorld, onlyJsonDocument, STATE_MACHINE_ARN } from './support';

/**
 * `crew history`: past deployments newest first, with their outcome, duration, rollback type and report, in a bounded
 * number of calls: one DescribeExecution per finished execution, one short history read per one that did not succeed.
 */

const BUCKET = 'deploymentcrew-reports-1a2b3c';
const TOKEN = `SECRETTASKTOKEN${'QUFBQUtnQUFBQU1B'.repeat(40)}`;
const arnOf = (name: string) => `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;
const at = (time: string) => new Date(`2026-11-17T${time}Z`);

function item(name: string, status: ExecutionStatus, start: string, stop?: string): ExecutionListItem {
  return {
    executionArn: arnOf(name),
    stateMachineArn: STATE_MACHINE_ARN,
    name,
    status,
    startDate: at(start),
    ...(stop === undefined ? {} : { stopDate: at(stop) }),
  };
}

const report = (name: string, outcome: string) => ({
  outcome,
  summary: `${outcome.toLowerCase()}`,
  ready: outcome === 'PROMOTED',
  json: `s3://${BUCKET}/reports/${name}/report.json`,
  markdown: `s3://${BUCKET}/reports/${name}/report.md`,
  consoleUrl: `https://eu-west-1.console.aws.amazon.com/s3/object/${BUCKET}`,
  risks: 0,
});
const endState = (name: string, extra: Record<string, unknown>) =>
  JSON.stringify({ deployment: { name, executionArn: arnOf(name), startedAt: '2026-11-17T00:00:00Z' }, ...extra });

/** The newest events of an execution that failed in `failState` with `state` as its input. */
function failedTail(failState: string, error: string, state: string): HistoryEvent[] {
  return [
    {
      id: 90,
      previousEventId: 89,
      type: 'ExecutionFailed',
      timestamp: at('09:00:00'),
      executionFailedEventDetails: { error, cause: 'see the report' },
    },
    {
      id: 89,
      previousEventId: 88,
      type: 'FailStateEntered',
      timestamp: at('09:00:00'),
      stateEnteredEventDetails: { name: failState, input: state },
    },
    {
      id: 88,
      previousEventId: 87,
      type: 'TaskStateExited',
      timestamp: at('08:59:59'),
      stateExitedEventDetails: { name: 'EmitFailureEvent', output: state },
    },
  ];
}

const RUNNING = item('rel-1-5-0-20261117-091500-aaaa', 'RUNNING', '09:15:00');
const PROMOTED = item('rel-1-4-0-20261117-080000-bbbb', 'SUCCEEDED', '08:00:00', '08:42:10');
const ROLLED_BACK = item('rel-1-3-9-20261117-060000-cccc', 'FAILED', '06:00:00', '06:25:30');
const REJECTED = item('rel-1-3-8-20261117-050000-dddd', 'FAILED', '05:00:00', '05:03:00');
const ABORTED = item('rel-1-3-7-20261117-040000-eeee', 'ABORTED', '04:00:00', '04:10:00');

/** Five deployments, newest first: one running, one promoted, one rolled back, one rejected, one stopped by hand. */
function historyWorld() {
  const world = crewWorld();
  world.sfn.on(ListExecutionsCommand).resolves({ executions: [RUNNING, PROMOTED, ROLLED_BACK, REJECTED, ABORTED] });
  const described = (execution: ExecutionListItem, fields: object) => ({ ...execution, ...fields });
  world.sfn
    .on(DescribeExecutionCommand, { executionArn: PROMOTED.executionArn })
    .resolves(
      described(PROMOTED, { output: JSON.stringify({ deploymentReport: report(PROMOTED.name ?? '', 'PROMOTED') }) }),
    )
    .on(DescribeExecutionCommand, { executionArn: ROLLED_BACK.executionArn })
    .resolves(described(ROLLED_BACK, { error: 'DeploymentRolledBack', cause: 'DEPLOY-002: … rolled back (traffic)' }))
    .on(DescribeExecutionCommand, { executionArn: REJECTED.executionArn })
    .resolves(described(REJECTED, { error: 'ApprovalRejected', cause: 'The Chairman rejected the deployment.' }))
    .on(DescribeExecutionCommand, { executionArn: ABORTED.executionArn })
    .resolves(described(ABORTED, {}));
  const rolledBackState = endState(ROLLED_BACK.name ?? '', {
    rollback: { trigger: 'ERROR_RATE', decision: { type: 'traffic', database: 'none', why: 'error rate' } },
    deploymentReport: report(ROLLED_BACK.name ?? '', 'ROLLED_BACK'),
  });
  const rejectedState = endState(REJECTED.name ?? '', {
    outcome: { error: 'ApprovalRejected' },
    deploymentReport: {
      outcome: 'FAILED',
      summary: 'the deployment report could not be written: S3 down',
      ready: false,
      json: null,
      markdown: null,
      consoleUrl: 'not written',
      risks: null,
    },
  });
  world.sfn
    .on(GetExecutionHistoryCommand, { executionArn: ROLLED_BACK.executionArn })
    .resolves({
      events: failedTail('DeploymentRolledBack', 'DeploymentRolledBack', rolledBackState),
      nextToken: 'older',
    })
    .on(GetExecutionHistoryCommand, { executionArn: REJECTED.executionArn })
    .resolves({ events: failedTail('ApprovalRejected', 'ApprovalRejected', rejectedState), nextToken: 'older' })
    // Stopped while its task ran: the newest events carry no state (the task's parameters carry a token).
    .on(GetExecutionHistoryCommand, { executionArn: ABORTED.executionArn })
    .resolves({
      events: [
        {
          id: 40,
          previousEventId: 39,
          type: 'ExecutionAborted',
          timestamp: at('04:10:00'),
          executionAbortedEventDetails: {},
        },
        {
          id: 39,
          previousEventId: 38,
          type: 'TaskStarted',
          timestamp: at('04:09:00'),
          taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' },
        },
        {
          id: 38,
          previousEventId: 37,
          type: 'TaskScheduled',
          timestamp: at('04:09:00'),
          taskScheduledEventDetails: {
            resourceType: 'lambda',
            resource: 'invoke',
            region: 'eu-west-1',
            parameters: JSON.stringify({ taskToken: TOKEN }),
          },
        },
      ],
      nextToken: 'older',
    });
  return world;
}

const tailRead = (execution: ExecutionListItem) => [
  'GetExecutionHistoryCommand',
  { executionArn: execution.executionArn, reverseOrder: true, maxResults: 5, includeExecutionData: true },
];

describe('crew history', () => {
  it('lists deployments newest first: outcome, duration, rollback type and report', async () => {
    // Prepare
    const world = historyWorld();

    // Act
    const { code, stdout, stderr } = await world.run(['history']);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    const calls = callsOf(world.sfn);
    expect(calls[0]).toEqual(['ListExecutionsCommand', { stateMachineArn: STATE_MACHINE_ARN, maxResults: 20 }]);
    // Describes run a few at a time: their order between executions is not fixed.
    expect(calls.slice(1)).toHaveLength(7);
    expect(calls.slice(1)).toEqual(
      expect.arrayContaining([
        ...[PROMOTED, ROLLED_BACK, REJECTED, ABORTED].map((execution) => [
          'DescribeExecutionCommand',
          { executionArn: execution.executionArn },
        ]),
        tailRead(ROLLED_BACK),
        tailRead(REJECTED),
        tailRead(ABORTED),
      ]),
    );
    expect(world.dynamo.calls()).toEqual([]);
    expect(stdout).toMatchInlineSnapshot(`
      "STARTED               DEPLOYMENT                      OUTCOME                        DURATION        ROLLBACK  REPORT
      2026-11-17T09:15:00Z  rel-1-5-0-20261117-091500-aaaa  RUNNING                        15m 05s so far  -         -
      2026-11-17T08:00:00Z  rel-1-4-0-20261117-080000-bbbb  SUCCEEDED                      42m 10s         none      s3://deploymentcrew-reports-1a2b3c/reports/rel-1-4-0-20261117-080000-bbbb/report.json
      2026-11-17T06:00:00Z  rel-1-3-9-20261117-060000-cccc  FAILED (DeploymentRolledBack)  25m 30s         traffic   s3://deploymentcrew-reports-1a2b3c/reports/rel-1-3-9-20261117-060000-cccc/report.json
      2026-11-17T05:00:00Z  rel-1-3-8-20261117-050000-dddd  FAILED (ApprovalRejected)      3m 00s          none      not written
      2026-11-17T04:00:00Z  rel-1-3-7-20261117-040000-eeee  ABORTED                        10m 00s         ?         -
      "
    `);
    expect(stdout).not.toContain('SECRETTASKTOKEN');
  });

  it('prints one JSON document with --json: null where the rollback type is not known', async () => {
    // Prepare
    const world = historyWorld();

    // Act
    const { code, stdout } = await world.run(['--json', 'history', '--limit', '5']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).not.toContain('SECRETTASKTOKEN');
    const { deployments } = onlyJsonDocument(stdout) as { deployments: Record<string, unknown>[] };
    expect(
      deployments.map(({ deployment, status, error, durationSeconds, rollbackType }) => ({
        deployment,
        status,
        error,
        durationSeconds,
        rollbackType,
      })),
    ).toEqual([
      { deployment: RUNNING.name, status: 'RUNNING', error: null, durationSeconds: 905, rollbackType: null },
      { deployment: PROMOTED.name, status: 'SUCCEEDED', error: null, durationSeconds: 2530, rollbackType: 'none' },
      {
        deployment: ROLLED_BACK.name,
        status: 'FAILED',
        error: 'DeploymentRolledBack',
        durationSeconds: 1530,
        rollbackType: 'traffic',
      },
      {
        deployment: REJECTED.name,
        status: 'FAILED',
        error: 'ApprovalRejected',
        durationSeconds: 180,
        rollbackType: 'none',
      },
      { deployment: ABORTED.name, status: 'ABORTED', error: null, durationSeconds: 600, rollbackType: null },
    ]);
    expect(deployments[2]?.report).toEqual({
      outcome: 'ROLLED_BACK',
      json: `s3://${BUCKET}/reports/${ROLLED_BACK.name}/report.json`,
      markdown: `s3://${BUCKET}/reports/${ROLLED_BACK.name}/report.md`,
      consoleUrl: `https://eu-west-1.console.aws.amazon.com/s3/object/${BUCKET}`,
      summary: 'rolled_back',
    });
    expect(deployments[3]?.report).toMatchObject({ json: null, consoleUrl: 'not written' });
  });

  it('pages through ListExecutions only up to the limit, and describes no more than that', async () => {
    // Prepare
    const world = historyWorld();
    world.sfn
      .on(ListExecutionsCommand)
      .resolvesOnce({ executions: [PROMOTED, ROLLED_BACK], nextToken: 'page-2' })
      .resolvesOnce({ executions: [REJECTED], nextToken: 'page-3' });

    // Act
    const { code, stdout } = await world.run(['--json', 'history', '--limit', '3']);

    // Assess
    expect(code).toBe(0);
    const calls = callsOf(world.sfn);
    expect(calls.filter(([name]) => name === 'ListExecutionsCommand')).toEqual([
      ['ListExecutionsCommand', { stateMachineArn: STATE_MACHINE_ARN, maxResults: 3 }],
      ['ListExecutionsCommand', { stateMachineArn: STATE_MACHINE_ARN, maxResults: 1, nextToken: 'page-2' }],
    ]);
    expect(calls.filter(([name]) => name === 'DescribeExecutionCommand')).toHaveLength(3);
    expect(calls.filter(([name]) => name === 'GetExecutionHistoryCommand')).toHaveLength(2);
    expect((onlyJsonDocument(stdout) as { deployments: unknown[] }).deployments).toHaveLength(3);
  });

  it('says so when the stack has run no deployment yet', async () => {
    // Prepare
    const world = crewWorld();
    world.sfn.on(ListExecutionsCommand).resolves({ executions: [] });

    // Act
    const { code, stdout } = await world.run(['history']);

    // Assess
    expect(code).toBe(0);
    expect(stdout).toBe('No deployments yet in stack DeploymentCrew.\n');
  });
});
