import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { DBInstance, RDSClient } from '@aws-sdk/client-rds';
import { createPreDeploymentValidator, preDeploymentRequestSchema } from '../lambdas/pre-deployment-validator/agent';
import type { ResolvedHealthChecksConfig } from '../lambdas/shared/config/pre-deployment-validator';
import type { BackupMetadata } from '../lambdas/shared/contracts';
import { parse } from '../lambdas/shared/validation';
import { createBackupTool } from '../lambdas/tools/backup';
import { createDependencyMonitor } from '../lambdas/tools/dependency-monitor';
import { asLambda } from './local-integrations';
import { CallLog, type OperationFault } from './simulated-aws/call-log';
import { VirtualClock } from './simulated-aws/clock';
import { type PublishedDatapoint, SimulatedCloudWatch } from './simulated-aws/cloudwatch';
import { SIM, SIM_ALARMS } from './simulated-aws/constants';
import { SimulatedEcs } from './simulated-aws/ecs';
import { type ModifyListenerFaults, SimulatedLoadBalancer } from './simulated-aws/load-balancer';
import { type RestoreBehaviour, SimulatedRds, type SnapshotBehaviour } from './simulated-aws/rds';
import { type AlarmStateValue, TrafficHistory, type TrafficModel } from './simulated-aws/traffic';

/**
 * A simulated production for workflow tests. The agents' real tools run against it through mocked AWS clients
 * (aws-sdk-client-mock on one client instance per service) backed by in-memory state, and through a fake fetch:
 *
 * - HTTP endpoints with a chosen status (the dependency monitor);
 * - RDS: the instance `shop-prod-db`, its snapshots (`creating` → final status), and the rename-swap restore;
 * - ELB: the listener (blue 100 / green 0), its default rule, and target health derived from the ECS services;
 * - ECS: the blue (live, 3 tasks) and green (idle) services, task definitions, rollouts, one-off migration tasks;
 * - CloudWatch: ALB and RDS metrics per virtual minute from a traffic model and the listener's weights, and the
 *   stack's alarms evaluated over them.
 *
 * Time is virtual (`clock`); it moves with `advance` (alarms evaluated) or `bake`. Every AWS call is recorded in `calls`; any call
 * the simulation does not model rejects with a NotModelledBySimulation error naming it.
 */

export type { OperationFault } from './simulated-aws/call-log';
export { VirtualClock } from './simulated-aws/clock';
export { SIM, SIM_ALARMS, SIM_DATABASE_RESOURCES } from './simulated-aws/constants';
export type { ModifyListenerFaults } from './simulated-aws/load-balancer';
export type { RestoreBehaviour, SnapshotBehaviour } from './simulated-aws/rds';
export type { TrafficAt, TrafficModel } from './simulated-aws/traffic';

export const DATABASE_IDENTIFIER = SIM.databaseIdentifier;

export interface EndpointBehaviour {
  readonly name: string;
  readonly critical: boolean;
  /** HTTP status answered, or `unreachable` for a connection error. */
  readonly answers: number | 'unreachable';
}

export interface CutoverBehaviour {
  /** Green's rollout is COMPLETED and its targets healthy at the N-th DescribeServices of green; default 1. */
  readonly greenReadyAfterPolls?: number;
  /** Green's rollout stays IN_PROGRESS; its targets are `initial`, then `unhealthy`. */
  readonly greenNeverHealthy?: boolean;
  /** Exit code of the migration container; default 0. */
  readonly migrationExitCode?: number;
  /** DescribeTasks says RUNNING this many times before STOPPED; default 1. */
  readonly migrationRunningPolls?: number;
  /** The migration task fails to start (image pull): its command never runs. */
  readonly migrationFailsToStart?: boolean;
  readonly modifyListener?: ModifyListenerFaults;
  /** Default true; false: the alarms never fire (a breach is seen only by the verdict). */
  readonly alarmsEnabled?: boolean;
  readonly restore?: RestoreBehaviour;
}

export interface SimulatedProductionOptions {
  readonly endpoints?: readonly EndpointBehaviour[];
  readonly snapshot?: SnapshotBehaviour;
  readonly traffic?: TrafficModel;
  readonly cutover?: CutoverBehaviour;
  /** Start of virtual time; default 2026-11-24T10:00:00Z. */
  readonly startAt?: Date;
  /** Faults injected per simulated AWS operation (ELB, ECS, CloudWatch, RDS); default none. */
  readonly faults?: readonly OperationFault[];
}

export interface BakeResult {
  readonly interruptedBy: string | null;
  readonly at?: Date;
}

const DEFAULT_ENDPOINTS: readonly EndpointBehaviour[] = [
  { name: 'api', critical: true, answers: 200 },
  { name: 'stripe', critical: true, answers: 200 },
  { name: 'email', critical: false, answers: 200 },
];

/** Alarms whose OK → ALARM interrupts a bake, in the order they are reported when several fire in one minute. */
const INTERRUPTING_ALARMS = [
  SIM_ALARMS.greenErrorRate,
  SIM_ALARMS.greenP95Latency,
  SIM_ALARMS.greenNoHealthyTargets,
  SIM_ALARMS.dbConnections,
];

export class SimulatedProduction {
  readonly clock: VirtualClock;
  readonly httpCalls: string[] = [];
  private readonly log: CallLog;
  private readonly traffic: TrafficHistory;
  private readonly ecs: SimulatedEcs;
  private readonly loadBalancer: SimulatedLoadBalancer;
  private readonly cloudWatch: SimulatedCloudWatch;
  private readonly rds: SimulatedRds;

  constructor(private readonly options: SimulatedProductionOptions = {}) {
    const cutover = options.cutover ?? {};
    this.clock = new VirtualClock(options.startAt);
    this.log = new CallLog(options.faults);
    this.traffic = new TrafficHistory(this.clock, options.traffic ?? {}, cutover.alarmsEnabled ?? true);
    this.ecs = new SimulatedEcs(this.clock, this.log, {
      readyAfterPolls: cutover.greenReadyAfterPolls ?? 1,
      greenNeverHealthy: cutover.greenNeverHealthy ?? false,
      migrationExitCode: cutover.migrationExitCode ?? 0,
      migrationRunningPolls: cutover.migrationRunningPolls ?? 1,
      migrationFailsToStart: cutover.migrationFailsToStart ?? false,
    });
    this.loadBalancer = new SimulatedLoadBalancer(this.log, this.ecs, this.traffic, cutover.modifyListener ?? {});
    this.cloudWatch = new SimulatedCloudWatch(this.clock, this.log, this.traffic);
    this.rds = new SimulatedRds(this.clock, this.log, options.snapshot ?? {}, cutover.restore ?? {});
  }

  // ----- records and inspectors -----

  /** Every AWS call made to the simulated ELB/ECS/CloudWatch/RDS, as 'Service:Command summary', in order. */
  get calls(): string[] {
    return this.log.calls;
  }

  /** RDS calls in the foundation's format (`CreateDBSnapshot <id>`, `DescribeDBSnapshots <id>`, …). */
  get rdsCalls(): string[] {
    return this.rds.rdsCalls;
  }

  /** Green's weight after each successful ModifyListener, in order (what reached the listener). */
  get greenWeights(): number[] {
    return this.loadBalancer.greenWeights;
  }

  currentGreenWeight(): number {
    return this.loadBalancer.currentWeights().green;
  }

  serviceDesiredCount(serviceName: string): number {
    return this.ecs.serviceDesiredCount(serviceName);
  }

  /** The task definition a service runs now, as `family:revision`. */
  serviceTaskDefinition(serviceName: string): string {
    return this.ecs.serviceTaskDefinition(serviceName);
  }

  /** Identifiers of the DB instances that exist now, sorted (the original, a preserved copy after a rename, …). */
  databaseInstances(): string[] {
    return this.rds.databaseInstances();
  }

  /** A DB instance as RDS would describe it now (not counted as a Describe), or undefined when it does not exist. */
  databaseInstance(identifier: string): DBInstance | undefined {
    return this.rds.instance(identifier);
  }

  /** Dashboards that exist in the simulated CloudWatch (delete one to make the monitoring check miss it). */
  get dashboards(): Set<string> {
    return this.cloudWatch.dashboards;
  }

  /** What the prober published (PutMetricData), in order. */
  get publishedMetrics(): readonly PublishedDatapoint[] {
    return this.cloudWatch.published;
  }

  /** The alarms' states now. */
  alarmStates(): Record<string, AlarmStateValue> {
    return Object.fromEntries([...this.traffic.alarmStates()].map(([name, state]) => [name, state.value]));
  }

  /** An available snapshot as the backup tool would have made it for `deploymentName`; its verified metadata. */
  seedSnapshot(deploymentName: string): BackupMetadata {
    return this.rds.seedSnapshot(deploymentName);
  }

  // ----- clients (one mocked instance per service, built on first use) -----

  elbClient(): ElasticLoadBalancingV2Client {
    return this.loadBalancer.elbClient();
  }

  ecsClient(): ECSClient {
    return this.ecs.ecsClient();
  }

  cloudWatchClient(): CloudWatchClient {
    return this.cloudWatch.cloudWatchClient();
  }

  /** An RDS client whose every call the simulation answers; any other command fails the test. */
  rdsClient(): RDSClient {
    return this.rds.rdsClient();
  }

  // ----- time -----

  /**
   * Advances the virtual clock minute by minute for `seconds`, evaluating the alarms after each minute. The first
   * alarm on green's target group or the DB alarm that goes to ALARM is passed to `onAlarm` (awaited) and ends the
   * bake early; otherwise the whole time passes.
   */
  async bake(seconds: number, onAlarm: (alarmName: string, at: Date) => Promise<void>): Promise<BakeResult> {
    return this.advance(seconds, onAlarm, () => true);
  }

  /**
   * Advances the virtual clock by `seconds` in steps of at most a minute, evaluating the alarms after each step as
   * CloudWatch does. Every alarm on green's target group or the DB alarm that enters ALARM is passed to `onAlarm`
   * (awaited, in order: the alarm listener's EventBridge delivery); `stopAfterAlarm`, asked after a step that
   * delivered one, ends the advance early (the task waiting on the clock was failed). Every move of the clock in a
   * rehearsal goes through here, so a breach between two bakes, in a Wait state or in the watch is not missed.
   */
  async advance(
    seconds: number,
    onAlarm: (alarmName: string, at: Date) => Promise<void>,
    stopAfterAlarm: () => boolean = () => false,
  ): Promise<BakeResult> {
    if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`advance: invalid duration ${seconds} s`);
    let remaining = seconds;
    let interrupted: BakeResult = { interruptedBy: null };
    while (remaining > 0) {
      const step = Math.min(60, remaining);
      const before = this.traffic.alarmStates();
      this.clock.advance(step);
      remaining -= step;
      const after = this.traffic.alarmStates();
      const fired = INTERRUPTING_ALARMS.filter(
        (name) => before.get(name)?.value !== 'ALARM' && after.get(name)?.value === 'ALARM',
      );
      for (const name of fired) {
        const at = this.clock.now();
        await onAlarm(name, at);
        if (interrupted.interruptedBy === null) interrupted = { interruptedBy: name, at };
      }
      if (fired.length > 0 && stopAfterAlarm()) return interrupted;
    }
    return interrupted;
  }

  // ----- the foundation -----

  get healthConfig(): ResolvedHealthChecksConfig {
    const endpoints = this.options.endpoints ?? DEFAULT_ENDPOINTS;
    const target = (endpoint: EndpointBehaviour) => ({
      name: endpoint.name,
      url: `https://${endpoint.name}.shop.test/health`,
      expectedStatus: 200,
      timeoutMs: 1000,
    });
    return {
      endpoints: endpoints.filter((endpoint) => endpoint.name === 'api').map(target),
      dependencies: endpoints
        .filter((endpoint) => endpoint.name !== 'api')
        .map((endpoint) => ({ ...target(endpoint), critical: endpoint.critical })),
      retries: 1,
    };
  }

  private readonly fetch = async (url: string): Promise<Response> => {
    this.httpCalls.push(url);
    const endpoint = (this.options.endpoints ?? DEFAULT_ENDPOINTS).find((e) => url.startsWith(`https://${e.name}.`));
    if (endpoint === undefined || endpoint.answers === 'unreachable') throw new TypeError('fetch failed');
    return new Response(null, { status: endpoint.answers });
  };

  /** The PreDeploymentValidator agent with its real tools, behind the same schema and error renaming as its Lambda. */
  preDeploymentValidator() {
    const agent = createPreDeploymentValidator({
      dependencyMonitor: createDependencyMonitor(this.healthConfig, {
        fetchImpl: this.fetch,
        minBackoffMs: 0,
        clock: this.clock.nowFn,
      }),
      backup: createBackupTool(this.rdsClient(), { kind: 'instance', identifier: DATABASE_IDENTIFIER }),
      // The report is dated in simulated time, like every other instant of the run.
      clock: this.clock.nowFn,
    });
    return asLambda(async (input: unknown) => agent(parse(preDeploymentRequestSchema, input)));
  }
}
