import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { alarmEventSchema, alarmToRequest, createRollbackTrigger } from '../lambdas/rollback-trigger/trigger';
import type { Sides } from '../lambdas/shared/cutover-contracts';
import { LOCK_SORT_KEY } from '../lambdas/shared/state-table';
import { parse } from '../lambdas/shared/validation';
import { createDeploymentLock } from '../lambdas/tools/deployment-lock';
import { createTrafficRouter } from '../lambdas/tools/traffic-router';
import { STATE_TABLE_NAME, startLocalDynamo } from '../rehearsal/dynalite';
import { CallLog } from '../rehearsal/simulated-aws/call-log';
import { SIM, SIM_ALARMS } from '../rehearsal/simulated-aws/constants';
import { simulateClient, simulatedClientConfig } from '../rehearsal/simulated-aws/sdk-stub';
import { SimulatedProduction } from '../rehearsal/simulated-production';
import { ALARM_ROUTES } from '../rehearsal/world-config';
import type { FigureOutcome } from './figures';
import { type AwsCall, CallRecorder, injectLatency, roundsBefore } from './latency';
import { median, p95, round } from './stats';

/**
 * Figure 1: the real alarm listener (createRollbackTrigger) with the real lock tool on dynalite, the real traffic
 * router on the simulated ELB, and Step Functions answered locally; every AWS call takes at least 100 ms. A run starts
 * when the alarm's EventBridge event reaches the handler (parsed as the handler parses it) and ends when the
 * confirming DescribeListeners returns with green at 0 %. Each run has a lock of its own, held in CUTOVER at 50 % with
 * a bake waiting; the setup's calls are not padded nor counted.
 */

export const LATENCY_MS = 100;
const WARM_UP_RUNS = 3;

const SIDES: Sides = {
  live: { targetGroupArn: SIM.blueTargetGroupArn, serviceName: SIM.blueServiceName },
  green: { targetGroupArn: SIM.greenTargetGroupArn, serviceName: SIM.greenServiceName },
  stickiness: null,
  resolvedAt: new Date().toISOString(),
};

interface RunRecord {
  readonly reactionMs: number;
  /** Until the listener returned (the bake failed, the token cleared). */
  readonly totalMs: number;
  readonly calls: readonly AwsCall[];
  readonly startMs: number;
}

export async function measureReaction(options: { readonly runs: number }): Promise<FigureOutcome> {
  const dynamo = await startLocalDynamo();
  try {
    const recorder = new CallRecorder({ latencyMs: LATENCY_MS });
    const production = new SimulatedProduction();
    const elb = production.elbClient();
    const cloudwatch = production.cloudWatchClient();
    const sfn = new SFNClient(simulatedClientConfig());
    simulateClient(sfn, 'SFN', new CallLog())
      .on(SendTaskFailureCommand)
      .callsFake(() => ({}));
    injectLatency(dynamo.client, 'DynamoDB', recorder);
    injectLatency(elb, 'ELB', recorder);
    injectLatency(cloudwatch, 'CloudWatch', recorder);
    injectLatency(sfn, 'SFN', recorder);
    // As the function's index.ts builds them.
    const ddb = DynamoDBDocumentClient.from(dynamo.client, { marshallOptions: { removeUndefinedValues: true } });
    const router = createTrafficRouter(elb, SIM.listenerArn);

    const runOnce = async (index: number): Promise<RunRecord> => {
      recorder.enabled = false;
      const lockKey = `LOCK#${SIM.listenerArn}#bench-${index}`;
      const holder = `bench-release-${index}`;
      const lock = createDeploymentLock(ddb, STATE_TABLE_NAME, lockKey);
      await dynamo.client.send(
        new PutItemCommand({
          TableName: STATE_TABLE_NAME,
          Item: {
            pk: { S: lockKey },
            sk: { S: LOCK_SORT_KEY },
            holder: { S: holder },
            lockState: { S: 'HELD' },
            acquiredAt: { S: new Date(Date.now() - 60_000).toISOString() },
            expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
          },
        }),
      );
      await lock.enterPhase(holder, 'PROVISIONING', { sides: SIDES, greenWeight: 0 });
      await lock.enterPhase(holder, 'CUTOVER', { greenWeight: 50 });
      await lock.storeBakeToken(holder, `bench-bake-token-${index}`, new Date().toISOString());
      await router.setGreenWeight(SIDES, 50);
      await router.confirmWeights(SIDES, 50);
      const requestRollback = createRollbackTrigger({
        lock,
        router,
        sfn,
        cloudwatch,
        alarmRoutes: ALARM_ROUTES,
      });
      recorder.reset();
      recorder.enabled = true;

      const startMs = recorder.now();
      const time = new Date().toISOString();
      const event = parse(alarmEventSchema, {
        source: 'aws.cloudwatch',
        'detail-type': 'CloudWatch Alarm State Change',
        time,
        detail: {
          alarmName: SIM_ALARMS.greenErrorRate,
          state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: time },
        },
      });
      const request = alarmToRequest(event);
      if (request === undefined) throw new Error('an ALARM state change must become a rollback request');
      const outcome = await requestRollback(request);
      const endMs = recorder.now();
      recorder.enabled = false;
      if (outcome.action !== 'traffic-restored') {
        throw new Error(`the alarm listener did not restore traffic: ${outcome.action} (${outcome.detail})`);
      }
      const confirm = recorder.calls.findLast((call) => call.operation === 'DescribeListeners');
      if (confirm === undefined) throw new Error('the listener was not re-read after the rollback');
      return { reactionMs: confirm.endMs - startMs, totalMs: endMs - startMs, calls: [...recorder.calls], startMs };
    };

    for (let index = 0; index < WARM_UP_RUNS; index += 1) await runOnce(-1 - index);
    const records: RunRecord[] = [];
    for (let index = 0; index < options.runs; index += 1) records.push(await runOnce(index));
    return reactionOutcome(records, options.runs);
  } finally {
    await dynamo.close();
  }
}

const label = (call: AwsCall) => `${call.service} ${call.operation}`;

function reactionOutcome(records: readonly RunRecord[], runs: number): FigureOutcome {
  const reactions = records.map((record) => record.reactionMs);
  const medianMs = round(median(reactions));
  const p95Ms = round(p95(reactions));
  // Every run makes the same calls (asserted below); the median run shows their timing.
  const sample = [...records].sort((a, b) => a.reactionMs - b.reactionMs)[Math.floor(records.length / 2)];
  if (sample === undefined) throw new Error('no reaction run');
  const sequences = new Set(records.map((record) => record.calls.map(label).join(' → ')));
  const rounds = roundsBefore(sample.calls, 'ModifyListener') ?? [];
  const sequential = rounds.length;
  const offset = (ms: number) => `${round(ms - sample.startMs, 0)} ms`;
  const details = [
    `${runs} runs after ${WARM_UP_RUNS} warm-up runs, ${LATENCY_MS} ms per AWS call (each call padded to at least that,`,
    'the local service inside it). Start: the EventBridge event reaches the handler; end: the confirming',
    'DescribeListeners returns with green at 0 %.',
    '',
    `- median ${medianMs} ms, p95 ${p95Ms} ms, min ${round(Math.min(...reactions))} ms, max ${round(Math.max(...reactions))} ms`,
    `- until the listener returned (bake failed, token cleared): median ${round(median(records.map((r) => r.totalMs)))} ms`,
    `- AWS calls one after another before ModifyListener: **${sequential}** (${rounds.map((round) => round.map(label).join(' ∥ ')).join(' → ')})`,
    `- pipeline time outside AWS calls until the confirm: median ${round(median(records.map(ownTimeMs)))} ms`,
    sequences.size === 1
      ? '- every run made the same calls:'
      : `- the runs made ${sequences.size} different call sequences; the median run's:`,
    '',
    '| call | start | end |',
    '| --- | --- | --- |',
    ...sample.calls.map(
      (call) => `| ${label(call)}${call.failed ? ' (failed)' : ''} | ${offset(call.startMs)} | ${offset(call.endMs)} |`,
    ),
  ];
  return {
    figures: [
      {
        id: 1,
        value: `median ${medianMs} ms, p95 ${p95Ms} ms; ${sequential} AWS calls in sequence before ModifyListener`,
        met: medianMs < 400,
        details,
      },
    ],
    results: { reactionMs: { median: medianMs, p95: p95Ms } },
  };
}

/** The run's time until the confirm that no AWS call covered: our code between calls. */
function ownTimeMs(record: RunRecord): number {
  const confirm = record.calls.findLast((call) => call.operation === 'DescribeListeners');
  const end = confirm?.endMs ?? record.startMs;
  let covered = 0;
  let reached = record.startMs;
  for (const call of [...record.calls].sort((a, b) => a.startMs - b.startMs)) {
    if (call.startMs >= end) break;
    const from = Math.max(call.startMs, reached);
    const to = Math.min(call.endMs, end);
    if (to > from) covered += to - from;
    reached = Math.max(reached, to);
  }
  return end - record.startMs - covered;
}
