import * as v from 'valibot';
import { parseTargetGroupArn } from '../shared/arns';
import { METRICS_RETRY_MIN_SECONDS, type OrchestratorConfig } from '../shared/config/blue-green-orchestrator';
import { deploymentRefSchema } from '../shared/contracts';
import {
  type CanaryState,
  type CanaryStepRecord,
  canaryStateSchema,
  greenEnvironmentSchema,
  type LoadBalancerBaseline,
  migrationSchema,
  type Side,
  type Sides,
  sidesSchema,
  summarizeSample,
} from '../shared/cutover-contracts';
import { releaseSchema } from '../shared/deployment-request';
import { DeploymentCrewError, RollbackRequestedError } from '../shared/errors';
import { nonEmptyString, strictObject } from '../shared/validation';
import type { DeploymentLock } from '../tools/deployment-lock';
import type { EnvironmentProvisioner } from '../tools/environment-provisioner';
import type { EventPublisher } from '../tools/event-publisher';
import type { MetricsMonitor } from '../tools/metrics-monitor';
import type { TrafficRouter } from '../tools/traffic-router';
import { phaseChanged, trafficShifted } from './events';
import { canaryVerdict } from './verdict';

/**
 * The BlueGreenOrchestrator agent: one Lambda, one action per state-machine task. It decides which side is green,
 * provisions it, runs the migration, and moves traffic one canary step at a time, judging each bake with the
 * verdict. Before every traffic move it consults the lock, so a rollback requested meanwhile always wins.
 */

const deployment = deploymentRefSchema;
export const orchestratorRequestSchema = v.variant('action', [
  strictObject({ action: v.literal('resolveSides'), deployment }),
  strictObject({ action: v.literal('provisionGreen'), deployment, release: releaseSchema, sides: sidesSchema }),
  strictObject({ action: v.literal('checkGreen'), deployment, sides: sidesSchema, green: greenEnvironmentSchema }),
  strictObject({ action: v.literal('scaleDownGreen'), deployment, sides: sidesSchema }),
  strictObject({
    action: v.literal('startMigration'),
    deployment,
    sides: sidesSchema,
    green: greenEnvironmentSchema,
  }),
  strictObject({
    action: v.literal('checkMigration'),
    deployment,
    green: greenEnvironmentSchema,
    migration: migrationSchema,
  }),
  strictObject({ action: v.literal('shiftTraffic'), deployment, sides: sidesSchema, canary: canaryStateSchema }),
  strictObject({
    action: v.literal('startBake'),
    taskToken: nonEmptyString,
    deployment,
    canary: canaryStateSchema,
  }),
  strictObject({ action: v.literal('evaluateStep'), deployment, sides: sidesSchema, canary: canaryStateSchema }),
  strictObject({
    action: v.literal('confirmPromotion'),
    deployment,
    sides: sidesSchema,
    canary: canaryStateSchema,
  }),
  strictObject({ action: v.literal('retireOldSide'), deployment, sides: sidesSchema }),
]);
export type OrchestratorRequest = v.InferOutput<typeof orchestratorRequestSchema>;

export interface OrchestratorTools {
  readonly router: TrafficRouter;
  /** Phase changes and confirmed traffic shifts go on the crew's bus; a failed put never fails a step. */
  readonly events: EventPublisher;
  readonly provisioner: EnvironmentProvisioner;
  readonly monitor: MetricsMonitor;
  readonly lock: DeploymentLock;
  readonly clock?: () => Date;
}

export function createBlueGreenOrchestrator(config: OrchestratorConfig, tools: OrchestratorTools) {
  const clock = tools.clock ?? (() => new Date());

  /** Fails with RollbackRequested when a rollback was asked for (an alarm or the Chairman). */
  const assertNoRollbackRequested = async (holder: string) => {
    const item = await tools.lock.read();
    if (item?.rollback !== undefined) {
      throw new RollbackRequestedError(
        `rollback requested (${item.rollback.trigger}) by ${item.rollback.requestedBy}: ${item.rollback.reason}`,
      );
    }
    if (item === undefined || item.holder !== holder) {
      throw new DeploymentCrewError('LockLost', `deployment ${holder} no longer holds the lock`);
    }
    return item;
  };

  const watchedAlarms = (sides: Sides) => [
    ...(config.alarms.byTargetGroup[sides.green.targetGroupArn] ?? []),
    ...config.alarms.shared,
  ];

  return async function handle(request: OrchestratorRequest): Promise<unknown> {
    const holder = request.deployment.name;
    switch (request.action) {
      case 'resolveSides': {
        const sides = await tools.router.resolveSides(config.sides);
        await tools.lock.enterPhase(holder, 'PROVISIONING', { sides, greenWeight: 0 });
        await tools.events.publish(...phaseChanged(holder, 'PROVISIONING', null, clock()));
        return sides;
      }
      case 'provisionGreen': {
        await assertNoRollbackRequested(holder);
        return tools.provisioner.provisionGreen({
          live: request.sides.live,
          green: request.sides.green,
          image: request.release.image,
          deploymentName: holder,
        });
      }
      case 'checkGreen': {
        await assertNoRollbackRequested(holder);
        return tools.provisioner.checkGreen(request.sides.green, request.green);
      }
      case 'scaleDownGreen': {
        // A fresh read: green is scaled down only once its 0 % weight is in effect on the listener.
        const forward = await tools.router.readForward();
        const greenWeight =
          forward.weights.find((weight) => weight.targetGroupArn === request.sides.green.targetGroupArn)?.weight ?? 0;
        return tools.provisioner.scaleDownGreen({ green: request.sides.green, live: request.sides.live, greenWeight });
      }
      case 'startMigration': {
        if (config.migrationCommand === null) {
          throw new DeploymentCrewError(
            'MigrationFailed',
            'the release changes the schema but no migration is configured',
          );
        }
        await tools.lock.enterPhase(holder, 'MIGRATION');
        const migration = await tools.provisioner.startMigration({
          env: request.green,
          green: request.sides.green,
          command: config.migrationCommand,
          deploymentName: holder,
        });
        // Only now may the schema change: a RunTask that failed leaves the database decision out of a rollback.
        await tools.lock.recordMigrationStarted(holder, true);
        await tools.events.publish(...phaseChanged(holder, 'MIGRATION', 'PROVISIONING', clock()));
        return migration;
      }
      case 'checkMigration': {
        // Not interrupted by a rollback request: a migration half-stopped is worse; the next step sees the request.
        const migration = await tools.provisioner.checkMigration(request.migration, request.green.containerName);
        if (migration.status === 'FAILED' && migration.commandRan === false) {
          await tools.lock.recordMigrationStarted(holder, false);
        }
        return migration;
      }
      case 'shiftTraffic':
        return shiftTraffic(holder, request.sides, request.canary);
      case 'startBake': {
        const startedAt = clock().toISOString();
        await tools.lock.storeBakeToken(holder, request.taskToken, startedAt);
        return { bakeStartedAt: startedAt };
      }
      case 'evaluateStep':
        return evaluateStep(holder, request.sides, request.canary);
      case 'confirmPromotion': {
        const { confirmedAt } = await tools.router.confirmWeights(request.sides, 100);
        await tools.lock.enterPhase(holder, 'PROMOTED', { greenWeight: 100 });
        await tools.events.publish(...phaseChanged(holder, 'PROMOTED', 'CUTOVER', clock()));
        return {
          promotedAt: confirmedAt,
          liveTargetGroupArn: request.sides.green.targetGroupArn,
          previousLiveTargetGroupArn: request.sides.live.targetGroupArn,
          note: 'the previous live side stays up at 0 % for a fast rollback',
        };
      }
      case 'retireOldSide':
        return retireOldSide(holder, request.sides);
    }
  };

  /**
   * The end of the post-promotion watch: the old side (`sides.live`, at 0 %) is scaled down, but only once a fresh
   * listener read shows it at 0 % and green at 100 %. RETIRING is entered first, refused when a rollback was claimed:
   * from then on alarms are no longer acted on, so no rollback can restore traffic to a side being scaled down.
   */
  async function retireOldSide(holder: string, sides: Sides) {
    await tools.lock.enterPhase(holder, 'RETIRING');
    const forward = await tools.router.readForward();
    const weightOf = (side: Side) =>
      forward.weights.find((weight) => weight.targetGroupArn === side.targetGroupArn)?.weight ?? 0;
    const oldSideWeight = weightOf(sides.live);
    const greenWeight = weightOf(sides.green);
    if (oldSideWeight !== 0 || greenWeight !== 100) {
      throw new DeploymentCrewError(
        'OldSideStillRouted',
        `the listener sends ${oldSideWeight} % to the old side ${sides.live.targetGroupArn} and ${greenWeight} % to ` +
          `${sides.green.targetGroupArn}: the old side is kept warm until someone looks`,
      );
    }
    // scaleDownGreen scales down the side at 0 % and keeps the other: here the old side goes, green stays.
    const scaled = await tools.provisioner.scaleDownGreen({
      green: sides.live,
      live: sides.green,
      greenWeight: oldSideWeight,
    });
    await tools.events.publish(...phaseChanged(holder, 'RETIRED', 'PROMOTED', clock()));
    return {
      retiredAt: scaled.scaledDownAt,
      serviceName: sides.live.serviceName,
      previousDesiredCount: scaled.previousDesiredCount,
      alreadyScaledDown: scaled.alreadyScaledDown,
      confirmedWeights: forward.weights,
    };
  }

  async function shiftTraffic(holder: string, sides: Sides, canary: CanaryState): Promise<CanaryState> {
    const greenWeight = canary.steps[canary.stepIndex];
    if (greenWeight === undefined) {
      throw new DeploymentCrewError('InvalidCanaryState', `no canary step ${canary.stepIndex} in ${canary.steps}`);
    }
    // Recorded before the move, refused when a rollback is pending: the alarm listener then knows traffic may be on
    // green, and no step-up starts after a rollback request.
    const previous = canary.stepIndex === 0 ? ((await tools.lock.read())?.phase ?? null) : null;
    await tools.lock.enterPhase(holder, 'CUTOVER', { greenWeight });
    if (canary.stepIndex === 0) {
      await tools.events.publish(
        ...phaseChanged(holder, 'CUTOVER', previous === 'MIGRATION' ? 'MIGRATION' : 'PROVISIONING', clock()),
      );
    }
    const health = await tools.router.targetHealth(sides.green.targetGroupArn);
    if (health.healthy === 0 || health.unhealthy > 0) {
      throw new DeploymentCrewError(
        'GreenUnhealthy',
        `green ${sides.green.serviceName} is not healthy before the ${greenWeight} % step: ${health.healthy} healthy, ${health.unhealthy} unhealthy of ${health.total}`,
      );
    }
    // An alarm already in ALARM sends no event (EventBridge sends transitions): one on what every side shares (the
    // database, extra alarms) stops the step here. Green's own alarms have no data before it has traffic.
    const [alarmName, ...others] = await tools.monitor.alarmsInAlarm(config.alarms.shared);
    if (alarmName !== undefined) {
      const reason =
        `${[alarmName, ...others].join(', ')} in ALARM before the ${greenWeight} % step ` +
        '(an alarm already in ALARM sends no event)';
      // Recorded like the alarm listener's request, so the rollback knows which alarm and what it watches.
      await tools.lock.requestRollback(holder, {
        trigger: config.alarmTriggers[alarmName] ?? 'ALARM',
        reason,
        requestedAt: clock().toISOString(),
        requestedBy: 'blue-green-orchestrator',
        alarmName,
      });
      throw new RollbackRequestedError(`not shifting: ${reason}`);
    }
    const baseline = canary.baseline ?? (await measureBaseline());
    const shiftedAt = clock().toISOString();
    await tools.router.setGreenWeight(sides, greenWeight);
    // A rollback requested while the write was in flight: undo the shift ourselves, then hand over to the rollback.
    const after = await tools.lock.read();
    if (after?.rollback !== undefined) {
      // Whoever restored the listener before this write landed was undone by it: this restore is the effective one.
      const { confirmedAt } = await tools.router.restoreLive(sides);
      await tools.lock.recordListenerRestored(holder, confirmedAt);
      throw new RollbackRequestedError(
        `rollback requested (${after.rollback.trigger}) during the ${greenWeight} % shift; listener put back to live`,
      );
    }
    const { confirmedAt } = await tools.router.confirmWeights(sides, greenWeight);
    await tools.events.publish(
      ...trafficShifted(holder, { sides, from: canary.greenWeight, to: greenWeight, shiftedAt, confirmedAt }, clock()),
    );
    const record: CanaryStepRecord = { stepIndex: canary.stepIndex, greenWeight, shiftedAt, confirmedAt, bakes: [] };
    return {
      ...canary,
      greenWeight,
      baseline,
      bakeStartedAt: null,
      bakeEndedAt: null,
      verdict: null,
      history: [...canary.history, record],
    };
  }

  async function evaluateStep(holder: string, sides: Sides, canary: CanaryState): Promise<CanaryState> {
    const item = await assertNoRollbackRequested(holder);
    const now = clock();
    // The first evaluation ends the bake; later ones only wait for its late datapoints.
    const firstLook = canary.bakeEndedAt === null;
    if (firstLook) await tools.lock.clearBakeToken(holder);
    const startedAt = item.bakeStartedAt ?? canary.bakeStartedAt ?? now.toISOString();
    const bakeEndedAt = canary.bakeEndedAt ?? now.toISOString();
    const baseline = canary.baseline;
    if (baseline === null) {
      throw new DeploymentCrewError(
        'InvalidCanaryState',
        'no load-balancer baseline was measured before the first shift',
      );
    }
    const window = bakeWindow(startedAt, bakeEndedAt);
    const [sample, health] = await Promise.all([
      tools.monitor.sample({
        greenTargetGroupFullName: parseTargetGroupArn(sides.green.targetGroupArn).fullName,
        window,
        watchedAlarms: watchedAlarms(sides),
        baseline,
        now,
      }),
      tools.router.targetHealth(sides.green.targetGroupArn),
    ]);
    const isLastStep = canary.stepIndex >= canary.steps.length - 1;
    const timing = metricsTiming(config.metrics, window.end, new Date(bakeEndedAt), now);
    const verdict = canaryVerdict({
      sample,
      thresholds: config.thresholds,
      isLastStep,
      inconclusiveCount: canary.inconclusiveCount,
      inconclusiveAllowance: config.inconclusiveAllowance,
      dataDeadlinePassed: timing.deadlinePassed,
      retryAfterSeconds: timing.retryAfterSeconds,
      healthyTargetsNow: health.healthy,
      alarmTriggers: config.alarmTriggers,
    });
    if (verdict.decision === 'advance' && isLastStep) {
      throw new DeploymentCrewError('InvalidCanaryState', 'the verdict advanced past the last step');
    }
    if (verdict.decision === 'wait') {
      return { ...canary, bakeStartedAt: startedAt, bakeEndedAt, verdict };
    }
    const bake = {
      startedAt,
      endedAt: bakeEndedAt,
      decidedAt: now.toISOString(),
      verdict,
      sample: summarizeSample(sample),
    };
    const history = canary.history.map((step, index) =>
      index === canary.history.length - 1 ? { ...step, bakes: [...step.bakes, bake] } : step,
    );
    return {
      ...canary,
      stepIndex: verdict.decision === 'advance' ? canary.stepIndex + 1 : canary.stepIndex,
      inconclusiveCount: canary.inconclusiveCount + (verdict.inconclusive ? 1 : 0),
      bakeStartedAt: startedAt,
      bakeEndedAt: null,
      verdict,
      history,
    };
  }

  /** The load balancer's own 5xx rate over the minutes before the first shift: what is not green's fault. */
  async function measureBaseline(): Promise<LoadBalancerBaseline> {
    const now = clock();
    // Ends a few minutes back, where the datapoints have arrived; the sum is all that is needed.
    const end = new Date(now.getTime() - BASELINE_SETTLE_MINUTES * MINUTE_MS);
    const start = new Date(end.getTime() - config.metrics.baselineMinutes * MINUTE_MS);
    return tools.monitor.baseline({ start, end }, now);
  }
}

const MINUTE_MS = 60_000;
/** The baseline window ends this many minutes ago, so that its datapoints are in. */
const BASELINE_SETTLE_MINUTES = 3;

/** The bake as a metrics window: from its start to its end (at least one minute). */
function bakeWindow(startedAt: string, endedAt: string): { start: Date; end: Date } {
  const start = new Date(startedAt);
  const end = new Date(endedAt);
  return { start, end: end > start ? end : new Date(start.getTime() + MINUTE_MS) };
}

/**
 * When to look again for a bake's late datapoints, and whether the bound on waiting has passed. The window's last
 * minute ends at the whole minute after the bake; its datapoints usually arrive `expectedDelaySeconds` later.
 */
export function metricsTiming(
  metrics: OrchestratorConfig['metrics'],
  windowEnd: Date,
  bakeEndedAt: Date,
  now: Date,
): { deadlinePassed: boolean; retryAfterSeconds: number } {
  const lastMinuteEnds = Math.ceil(windowEnd.getTime() / MINUTE_MS) * MINUTE_MS;
  const expectedAt = lastMinuteEnds + metrics.expectedDelaySeconds * 1000;
  const deadline = bakeEndedAt.getTime() + metrics.maxWaitSeconds * 1000;
  const untilExpected = (expectedAt - now.getTime()) / 1000;
  const untilDeadline = (deadline - now.getTime()) / 1000;
  const next = untilExpected > 0 ? untilExpected : METRICS_RETRY_MIN_SECONDS * 2;
  return {
    deadlinePassed: untilDeadline <= 0,
    retryAfterSeconds: Math.ceil(Math.max(METRICS_RETRY_MIN_SECONDS, Math.min(next, untilDeadline))),
  };
}
