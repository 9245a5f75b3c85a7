import { CloudWatchLogsClient, DescribeLogStreamsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  IAMClient,
  SimulatePrincipalPolicyCommand,
  type SimulatePrincipalPolicyCommandInput,
} from '@aws-sdk/client-iam';
import { PutObjectCommand, type PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createPostDeploymentVerifier, verifierRequestSchema } from '../lambdas/post-deployment-verifier/agent';
import type { ProbeRequest } from '../lambdas/post-deployment-verifier/probes';
import { probeToRequest } from '../lambdas/rollback-trigger/probe';
import type { RollbackRequestInput, TriggerOutcome } from '../lambdas/rollback-trigger/trigger';
import {
  type OnMissingMonitoring,
  postDeploymentVerifierConfigSchema,
} from '../lambdas/shared/config/post-deployment-verifier';
import type { DeploymentReport } from '../lambdas/shared/deployment-report';
import { parse } from '../lambdas/shared/validation';
import type { DeploymentLock } from '../lambdas/tools/deployment-lock';
import { createMonitoringCheck } from '../lambdas/tools/monitoring-setup';
import { cloudWatchProbePublisher, createProbeLedger, createProber } from '../lambdas/tools/prober';
import { createReportStore } from '../lambdas/tools/report-store';
import { createRollbackDryRun } from '../lambdas/tools/rollback-test';
import { createSmokeRunner } from '../lambdas/tools/test-execution';
import type { TrafficRouter } from '../lambdas/tools/traffic-router';
import type { LocalDynamo } from './dynalite';
import { asLambda } from './local-integrations';
import type { TaskHandler } from './local-workflow';
import { APPLICATION_SUITE, type SideBehaviour, SimulatedApplication } from './simulated-aws/application';
import { SIM, SIM_ALARMS } from './simulated-aws/constants';
import type { SimulatedProduction } from './simulated-production';

/**
 * The PostDeploymentVerifier of a local run: the real agent and its real tools, against the simulated production
 * (listener, ECS, CloudWatch, RDS), the simulated application over real HTTP on localhost, the lock and the probe
 * ledger in dynalite, IAM's policy simulator and S3 answered by mocks that record what they were asked.
 */

export interface VerifierWorldOptions {
  /** Whether a test listener (green only) is configured. @default true */
  readonly testListener?: boolean;
  /** How green answers before any traffic (through the test listener and, later, production). @default 'ok' */
  readonly green?: SideBehaviour;
  /** How green answers once it carries 100 % (the production smoke suite and the watch). @default as `green` */
  readonly greenAfterPromotion?: SideBehaviour;
  /** Green stops answering when this bake starts (its weight): the prober must take it off traffic. */
  readonly greenStopsAnsweringAtWeight?: number;
  /** Green stops answering as the post-promotion watch starts: the watch's prober must put the old side back. */
  readonly greenStopsAnsweringInWatch?: boolean;
  /** The dashboard the monitoring check looks for does not exist. */
  readonly dashboardMissing?: boolean;
  readonly onMissingMonitoring?: OnMissingMonitoring;
  /** The policy simulator denies this rollback action to the coordinator's role: the dry run is not ready. */
  readonly deniedRollbackAction?: string;
}

export const COORDINATOR_ROLE_ARN = `arn:aws:iam::${SIM.account}:role/DeploymentCrew-RollbackCoordinator`;
export const REPORT_BUCKET = 'deploymentcrew-reports';
const ROLLBACK_ACTIONS = ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:DescribeListeners'];

export interface VerifierWorldDeps {
  readonly production: SimulatedProduction;
  readonly dynamo: LocalDynamo;
  readonly lock: DeploymentLock;
  readonly router: TrafficRouter;
  readonly tableName: string;
  readonly lockKey: string;
  readonly rollbackVerifySeconds: number;
  /** The run's state transitions so far (states entered and retries), as the execution history would count them. */
  readonly transitionsSoFar: () => number;
  readonly alarmListener: (request: RollbackRequestInput) => Promise<TriggerOutcome>;
  /** Moves the virtual clock with the alarms evaluated (an alarm entering ALARM reaches the alarm listener). */
  readonly passTime: (seconds: number) => Promise<void>;
}

/**
 * The verifier's task handlers. The application's servers start with `start()` (the run does it): the verifier's
 * configuration names their URLs, so the agent is built then.
 */
export function createVerifierWorld(deps: VerifierWorldDeps, options: VerifierWorldOptions = {}) {
  const { production } = deps;
  const application = new SimulatedApplication(() => production.currentGreenWeight());
  application.sides.green = options.green ?? 'ok';
  if (options.dashboardMissing) production.dashboards.delete(SIM.dashboardName);
  const probeRequests: ProbeRequest[] = [];
  const probeOutcomes: unknown[] = [];
  const reports: { key: string; body: string }[] = [];
  let handle: ((input: unknown) => Promise<unknown>) | undefined;
  const verifier = (input: unknown) => {
    if (handle === undefined) throw new Error('the verifier world was not started');
    return handle(input);
  };

  const start = async () => {
    await application.start();
    handle = buildVerifier(deps, options, application, { probeRequests, probeOutcomes, reports });
  };
  const verifierTask: TaskHandler = asLambda(verifier);

  /** The prober's asynchronous invocation: recorded; the bake runs the probe when its scenario needs it. */
  const startProbes: TaskHandler = (parameters) => {
    const { Payload, InvocationType } = parameters as { Payload: unknown; InvocationType: string };
    if (InvocationType !== 'Event') throw new Error(`the prober must be invoked asynchronously, not ${InvocationType}`);
    // Parsed as the function would parse it: a payload it refuses would only show in its failed-probes queue.
    const request = parse(verifierRequestSchema, Payload);
    if (request.action !== 'probe') throw new Error(`the prober was sent ${request.action}`);
    probeRequests.push(request);
    return { StatusCode: 202, Payload: '' };
  };

  /** Runs the last prober sent off for this window, as Lambda would run it, until it returns (in virtual time). */
  const runLastProber = async (window: ProbeRequest['window']) => {
    const request = probeRequests.findLast((sent) => sent.window === window);
    if (request === undefined) throw new Error(`no prober was sent off for the ${window}`);
    return verifier(request);
  };

  const tasks: Record<string, TaskHandler> = {
    SmokeTestGreen: verifierTask,
    SmokeTestProduction: async (input) => {
      if (options.greenAfterPromotion !== undefined) application.sides.green = options.greenAfterPromotion;
      return verifierTask(input);
    },
    CheckMonitoring: verifierTask,
    DryRunRollback: verifierTask,
    StartBakeProbes: startProbes,
    StartWatchProbes: startProbes,
    WriteReport: verifierTask,
    WriteRollbackReport: verifierTask,
    WriteEscalationReport: verifierTask,
    WriteFailureReport: verifierTask,
  };

  return {
    application,
    tasks,
    start,
    stop: () => application.stop(),
    probeRequests,
    probeOutcomes,
    runLastProber,
    /** The JSON reports written to S3, parsed. */
    jsonReports: (): DeploymentReport[] =>
      reports
        .filter((report) => report.key.endsWith('.json'))
        .map((report) => JSON.parse(report.body) as DeploymentReport),
    reportKeys: () => reports.map((report) => report.key),
    greenStopsAnsweringAtWeight: options.greenStopsAnsweringAtWeight,
    greenStopsAnsweringInWatch: options.greenStopsAnsweringInWatch ?? false,
  };
}

export type VerifierWorld = ReturnType<typeof createVerifierWorld>;

interface Records {
  readonly probeRequests: ProbeRequest[];
  readonly probeOutcomes: unknown[];
  readonly reports: { key: string; body: string }[];
}

function buildVerifier(
  deps: VerifierWorldDeps,
  options: VerifierWorldOptions,
  application: SimulatedApplication,
  records: Records,
) {
  const { production } = deps;
  const clock = production.clock;
  const { probeRequests, probeOutcomes, reports } = records;
  const config = parse(postDeploymentVerifierConfigSchema, {
    suite: APPLICATION_SUITE,
    productionUrl: application.productionUrl,
    testListenerUrl: options.testListener === false ? null : application.testListenerUrl,
    monitoring: {
      alarmNames: Object.values(SIM_ALARMS),
      dashboardName: SIM.dashboardName,
      logGroupNames: [SIM.logGroupName],
      onMissing: options.onMissingMonitoring ?? 'fail',
    },
    dryRun: {
      clusterName: SIM.clusterName,
      coordinatorRoleArn: COORDINATOR_ROLE_ARN,
      rollbackActions: ROLLBACK_ACTIONS,
      rollbackResources: { 'elasticloadbalancing:ModifyListener': [SIM.listenerArn] },
      minHealthyTargets: 1,
      expectedDesiredCount: 3,
      rollbackVerifySeconds: deps.rollbackVerifySeconds,
    },
    probe: {
      intervalMs: 5_000,
      rule: { failures: 3, withinMs: 15_000 },
      rollbackTriggerFunctionName: 'RollbackTrigger',
    },
    report: {
      bucketName: REPORT_BUCKET,
      region: SIM.region,
      dashboards: [
        { name: SIM.dashboardName, url: `https://console.aws.amazon.com/cloudwatch/#dashboards/${SIM.dashboardName}` },
      ],
    },
    // The rehearsal's orchestrator and alarms judge with the defaults (workflow-world.ts, simulated-aws/alarms.ts).
    thresholds: {},
    listenerArn: SIM.listenerArn,
    tableName: deps.tableName,
    lockKey: deps.lockKey,
  });

  // The log group received an event a minute ago.
  const logs = new CloudWatchLogsClient({
    region: SIM.region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  mockClient(logs)
    .on(DescribeLogStreamsCommand)
    .callsFake(() => ({
      logStreams: [
        {
          logStreamName: 'web/1',
          lastEventTimestamp: clock.nowMs() - 60_000,
          lastIngestionTime: clock.nowMs() - 55_000,
        },
      ],
    }));
  const iam = new IAMClient({ region: SIM.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  mockClient(iam)
    .on(SimulatePrincipalPolicyCommand)
    .callsFake((input: SimulatePrincipalPolicyCommandInput) => ({
      EvaluationResults: (input.ActionNames ?? []).map((action) => ({
        EvalActionName: action,
        EvalResourceName: input.ResourceArns?.[0] ?? '*',
        EvalDecision: action === options.deniedRollbackAction ? 'implicitDeny' : 'allowed',
      })),
      IsTruncated: false,
    }));
  const s3 = new S3Client({ region: SIM.region, credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  mockClient(s3)
    .on(PutObjectCommand)
    .callsFake((input: PutObjectCommandInput) => {
      reports.push({ key: input.Key ?? '', body: String(input.Body) });
      return { VersionId: `v${reports.length}` };
    });

  const runner = createSmokeRunner({
    secrets: {
      read: async () => {
        throw new Error('the simulated suite names no secret');
      },
    },
  });
  const ddb = DynamoDBDocumentClient.from(deps.dynamo.client);
  const verifier = createPostDeploymentVerifier(config, {
    smoke: { runSuite: (steps, target) => runner.runSuite(steps, target) },
    monitoring: createMonitoringCheck({ cloudwatch: production.cloudWatchClient(), logs, clock: clock.nowFn }),
    rollbackTest: createRollbackDryRun({
      elb: production.elbClient(),
      ecs: production.ecsClient(),
      rds: production.rdsClient(),
      iam,
      clock: clock.nowFn,
    }),
    lock: deps.lock,
    router: deps.router,
    probes: {
      // Probe rounds pass in virtual time: the prober's waits advance the simulated clock, alarms evaluated.
      probe: (dimensions, probeOptions) =>
        createProber({
          runner,
          publisher: cloudWatchProbePublisher(production.cloudWatchClient(), dimensions),
          now: () => clock.nowMs(),
          sleep: (ms) => deps.passTime(ms / 1000),
        })(probeOptions),
      ledger: createProbeLedger(ddb, deps.tableName, clock.nowFn),
      reportProbeFailure: async (report) => {
        const outcome = await deps.alarmListener(probeToRequest(report));
        probeOutcomes.push(outcome);
        return outcome;
      },
      continueProbing: async (request) => {
        probeRequests.push(request);
      },
      now: () => clock.nowMs(),
    },
    reports: {
      store: createReportStore(s3, config.report),
      // aws-local-stepfunctions keeps no execution history: the run counts what Step Functions would bill.
      history: {
        countTransitions: async () => {
          const transitions = deps.transitionsSoFar();
          return { transitions, statesEntered: transitions, retries: 0, events: transitions };
        },
      },
      now: clock.nowFn,
    },
  });
  return (input: unknown) => verifier(parse(verifierRequestSchema, input), { remainingMs: () => 900_000 });
}
