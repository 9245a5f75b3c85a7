import { parseTargetGroupArn } from '../shared/arns';
import type { CoordinatorConfig } from '../shared/config/rollback-coordinator';
import type { DeploymentPhase, RollbackState } from '../shared/cutover-contracts';
import { DeploymentCrewError, errorMessage } from '../shared/errors';
import type { DatabaseRestoreTool } from '../tools/database-restore';
import type { DeploymentLock, LockPhase } from '../tools/deployment-lock';
import type { EventPublisher } from '../tools/event-publisher';
import type { MetricsMonitor } from '../tools/metrics-monitor';
import type { TrafficRouter } from '../tools/traffic-router';
import { decideRollback } from './decision';
import { EVENT_PHASE_OF_LOCK, eventStamp, failedStepOf, rollbackOutcome } from './events';
import type { CoordinatorRequest } from './request';
import { appendTimeline, escalationRunbook, rollbackSummary } from './timeline';
import { verifyTrafficRollback } from './verify-traffic';
import {
  describeWeightEffective,
  earliestInstant,
  formatSeconds,
  measureWeightEffective,
  NOT_APPLICABLE,
  PIPELINE_REQUESTER,
  secondsSinceTrigger,
  triggerInstant,
  unrecordedWeightEffective,
  WEIGHT_EFFECTIVE_ACTION,
  withConfirmation,
  withDecision,
} from './weight-effective';

/**
 * The RollbackCoordinator agent: decides the rollback type, carries it out one step per task, keeps the timeline,
 * and writes the Chairman's summary or the escalation runbook. Every step is idempotent: the state machine retries
 * it hard, because giving up means escalation.
 */

export { type CoordinatorRequest, coordinatorRequestSchema } from './request';

export interface CoordinatorTools {
  readonly router: TrafficRouter;
  readonly monitor: MetricsMonitor;
  readonly restore: DatabaseRestoreTool;
  readonly lock: DeploymentLock;
  /** Puts the rollback's events on the crew's bus; a failed put never fails a step. */
  readonly events: EventPublisher;
  readonly clock?: () => Date;
}

const PHASE_OF_LOCK: Readonly<Record<LockPhase, DeploymentPhase | undefined>> = {
  VALIDATION: undefined,
  PROVISIONING: 'PROVISIONING',
  MIGRATION: 'MIGRATION',
  CUTOVER: 'CUTOVER',
  PROMOTED: 'POST_PROMOTION',
  RETIRING: 'POST_PROMOTION',
  ROLLING_BACK: undefined,
};

export function createRollbackCoordinator(config: CoordinatorConfig, tools: CoordinatorTools) {
  const clock = tools.clock ?? (() => new Date());
  const note = (state: RollbackState, action: string, result: 'ok' | 'failed' | 'skipped' | 'info', detail: string) =>
    appendTimeline(state, { action, result, detail }, clock());
  /** Records a listener confirmation; the timeline gets the figure when it is the first one seen. */
  const confirmed = (state: RollbackState, confirmedAt: string): RollbackState => {
    const before = state.weightEffective ?? unrecordedWeightEffective();
    const after = withConfirmation(before, confirmedAt);
    if (after === before) return state;
    const entry = {
      action: WEIGHT_EFFECTIVE_ACTION,
      result: after.timeUntilWeightEffectiveSeconds === null ? ('info' as const) : ('ok' as const),
      detail: describeWeightEffective(after),
    };
    const at = Number.isNaN(Date.parse(confirmedAt)) ? clock() : new Date(confirmedAt);
    return appendTimeline({ ...state, weightEffective: after }, entry, at);
  };

  return async function handle(request: CoordinatorRequest): Promise<unknown> {
    switch (request.action) {
      case 'begin':
        return begin(request);
      case 'rollbackTraffic': {
        const { sides } = request;
        const restored = await tools.router.restoreLive(sides);
        await tools.lock.recordListenerRestored(request.deployment.name, restored.confirmedAt).catch(() => undefined);
        let state = note(
          request.rollback,
          'traffic rollback',
          'ok',
          `listener 100 % on ${sides.live.serviceName} (${parseTargetGroupArn(sides.live.targetGroupArn).name}), confirmed at ${restored.confirmedAt}`,
        );
        state = confirmed(state, restored.confirmedAt);
        const health = await tools.router.targetHealth(sides.live.targetGroupArn);
        if (health.healthy === 0 || health.unhealthy > 0) {
          state = note(
            state,
            'live target health',
            'failed',
            `${health.healthy} healthy, ${health.unhealthy} unhealthy`,
          );
          throw new DeploymentCrewError(
            'LiveUnhealthy',
            `traffic is back on ${sides.live.serviceName}, but its targets are not healthy (${health.healthy} healthy, ${health.unhealthy} unhealthy of ${health.total})`,
          );
        }
        return note(state, 'live target health', 'ok', `${health.healthy} of ${health.total} targets healthy`);
      }
      case 'verifyTraffic': {
        const verified = await verifyTrafficRollback(config, tools, request, clock);
        const effective = withConfirmation(
          request.rollback.weightEffective ?? unrecordedWeightEffective(),
          verified.confirmedAt,
        );
        const confirmedAt = effective.confirmedAt ?? verified.confirmedAt;
        await tools.events.publish('Rollback Traffic Restored', {
          ...eventStamp(request.deployment.name, clock()),
          trigger: request.rollback.trigger,
          restoredAt: verified.lockRestoredAt ?? confirmedAt,
          confirmedAt,
          secondsUntilEffective: effective.timeUntilWeightEffectiveSeconds,
        });
        return verified.state;
      }
      case 'planDatabaseRestore': {
        const progress = tools.restore.plan(request.backup, request.deployment.name);
        return note(
          { ...request.rollback, database: progress },
          'database restore',
          'info',
          `restoring snapshot ${request.backup.identifier} (taken ${request.backup.createdAt}) as ${progress.temporaryIdentifier} first, then swapping it into ${progress.originalIdentifier}; every write after ${request.backup.createdAt} is lost; the current database is fenced and kept as ${progress.preservedIdentifier}`,
        );
      }
      case 'advanceDatabaseRestore': {
        const current = request.rollback.database;
        if (current === null) throw new DeploymentCrewError('InvalidRollbackState', 'no database restore was planned');
        const next = await tools.restore.advance(current, request.backup, request.deployment.name);
        let state: RollbackState = { ...request.rollback, database: next };
        if (next.status === current.status) return state;
        const result = next.status === 'FAILED' ? 'failed' : next.status === 'RECOVERING' ? 'failed' : 'ok';
        const action =
          next.refused === true
            ? 'database restore refused'
            : `database ${next.status.toLowerCase().replace('_', ' ')}`;
        state = note(state, action, result, next.reason ?? next.status);
        if (next.status === 'RESTORING' && (next.followUps ?? []).length > 0) {
          state = note(
            state,
            'database follow-ups',
            'info',
            `to redo by hand after the swap: ${(next.followUps ?? []).join('; ')}`,
          );
        }
        if (next.status === 'AVAILABLE') {
          await tools.events.publish('Rollback Database Restored', {
            ...eventStamp(request.deployment.name, clock()),
            trigger: request.rollback.trigger,
            snapshotIdentifier: next.snapshotIdentifier,
            restoredAt: next.swap?.completedAt ?? clock().toISOString(),
          });
        }
        return state;
      }
      case 'note':
        return appendTimeline(request.rollback, request.entry, clock());
      case 'finish': {
        const summary = rollbackSummary(request.rollback, {
          deploymentName: request.deployment.name,
          releaseVersion: request.release.version,
          ...(request.backup === undefined ? {} : { snapshotCreatedAt: request.backup.createdAt }),
        });
        const weightEffective = request.rollback.weightEffective ?? unrecordedWeightEffective();
        await tools.events.publish('Rollback Finished', {
          ...eventStamp(request.deployment.name, clock()),
          trigger: request.rollback.trigger,
          type: request.rollback.decision?.type ?? null,
          outcome: rollbackOutcome(request.rollback),
        });
        return {
          ...summary,
          timeUntilWeightEffectiveSeconds: weightEffective.timeUntilWeightEffectiveSeconds,
          weightEffective,
          rollback: request.rollback,
        };
      }
      case 'escalate': {
        const failedAction = request.failure.Error ?? 'unknown';
        // A failed step's own confirmation is lost with its output, but the lock kept it; a failed read costs nothing.
        const read = await tools.lock.read().catch(() => undefined);
        const item = read?.holder === request.deployment.name ? read : undefined;
        // Without begin's record (the ASL's minimal one), the lock still knows the first trigger.
        let rollback: RollbackState = {
          ...request.rollback,
          weightEffective:
            request.rollback.weightEffective ?? measureWeightEffective(triggerInstant(item?.rollback), null),
        };
        let confirmedAt = earliestInstant(rollback.weightEffective?.confirmedAt, item?.listenerRestoredAt);
        // Whatever failed, traffic belongs on the live side: one more (idempotent) attempt before handing over.
        try {
          const restored = await tools.router.restoreLive(request.sides);
          confirmedAt = earliestInstant(confirmedAt, restored.confirmedAt);
          rollback = note(
            rollback,
            'traffic rollback before escalation',
            'ok',
            `listener 100 % live, confirmed at ${restored.confirmedAt}`,
          );
        } catch (error) {
          rollback = note(rollback, 'traffic rollback before escalation', 'failed', errorMessage(error));
        }
        if (confirmedAt !== null) rollback = confirmed(rollback, confirmedAt);
        const weightEffective = rollback.weightEffective ?? unrecordedWeightEffective();
        const elapsedSinceTriggerSeconds = secondsSinceTrigger(weightEffective, clock());
        if (
          weightEffective.confirmedAt === null &&
          weightEffective.unknownBecause?.startsWith(NOT_APPLICABLE) !== true
        ) {
          const since =
            elapsedSinceTriggerSeconds === null
              ? `time since the trigger unknown (${weightEffective.unknownBecause})`
              : `${formatSeconds(elapsedSinceTriggerSeconds)} since the trigger so far`;
          rollback = note(
            rollback,
            WEIGHT_EFFECTIVE_ACTION,
            'failed',
            `not effective: the listener was never confirmed back at 100 % live; ${since}`,
          );
        }
        const runbook = escalationRunbook(rollback, {
          deploymentName: request.deployment.name,
          listenerArn: config.listenerArn,
          liveTargetGroupArn: request.sides.live.targetGroupArn,
          greenTargetGroupArn: request.sides.green.targetGroupArn,
          greenServiceName: request.sides.green.serviceName,
          clusterName: config.clusterName,
          database: config.database,
          snapshotIdentifier: request.backup?.identifier ?? null,
          ...(config.restore.fenceSecurityGroupId === undefined
            ? {}
            : { fenceSecurityGroupId: config.restore.fenceSecurityGroupId }),
          stateTableName: config.tableName,
          lockKey: config.lockKey,
          failedAction,
          error: request.failure.Cause ?? failedAction,
          stickiness: request.sides.stickiness,
          region: config.region,
          executionArn: request.deployment.executionArn,
          elapsedSinceTriggerSeconds,
        });
        await tools.events.publish('Rollback Failed', {
          ...eventStamp(request.deployment.name, clock()),
          executionArn: request.deployment.executionArn,
          error: 'RollbackFailed',
          code: 'DEPLOY-003',
          trigger: request.rollback.trigger,
          reason: request.failure.Cause ?? failedAction,
          failedStep: failedStepOf(request.failure.Error),
        });
        return {
          ...runbook,
          timeUntilWeightEffectiveSeconds: weightEffective.timeUntilWeightEffectiveSeconds,
          elapsedSinceTriggerSeconds,
          weightEffective,
        };
      }
    }
  };

  async function begin(request: Extract<CoordinatorRequest, { action: 'begin' }>): Promise<RollbackState> {
    const holder = request.deployment.name;
    let item = await tools.lock.read();
    if (item === undefined || item.holder !== holder) {
      throw new DeploymentCrewError(
        'LockLost',
        `deployment ${holder} does not hold the lock: nothing to roll back safely`,
      );
    }
    if (item.rollback === undefined) {
      // An alarm or the Chairman may get in between the read and this write: the returned item holds the first request.
      ({ item } = await tools.lock.requestRollback(holder, {
        trigger: request.trigger.trigger,
        reason: request.trigger.reason,
        requestedAt: clock().toISOString(),
        requestedBy: PIPELINE_REQUESTER,
      }));
    }
    // The first recorded request wins (an alarm or the Chairman's override); otherwise the step that failed says why.
    const recorded = item.rollback;
    const trigger = recorded?.trigger ?? request.trigger.trigger;
    const reason = recorded?.reason ?? request.trigger.reason;
    // A retried begin finds ROLLING_BACK: the phase the rollback started from was kept beside it.
    const lockPhase = item.phase === 'ROLLING_BACK' ? item.phaseBeforeRollback : item.phase;
    const phase = (lockPhase && PHASE_OF_LOCK[lockPhase]) ?? request.trigger.phase;
    const instant = triggerInstant(recorded, request.trigger.detectedAt);
    const detectedAt = instant.at ?? recorded?.requestedAt ?? clock().toISOString();
    if (item.phase !== 'ROLLING_BACK') await tools.lock.recordPhase(holder, 'ROLLING_BACK', item.phase);

    const decision = decideRollback({
      trigger,
      phase,
      schemaChange: request.release.schemaChange,
      migrationStarted: item.migrationStarted === true,
      autoDatabaseRollback: config.autoDatabaseRollback,
      greenWeight: item.greenWeight ?? 0,
    });
    const weightEffective = withDecision(measureWeightEffective(instant, null), decision.type);
    let state: RollbackState = {
      trigger,
      phase,
      reason,
      detectedAt,
      weightEffective,
      decision,
      timeline: [],
      database: null,
    };
    state = appendTimeline(
      state,
      {
        action: 'trigger',
        result: 'info',
        detail: `${trigger}${recorded?.alarmName ? ` (${recorded.alarmName})` : ''} by ${recorded?.requestedBy ?? 'pipeline'}: ${reason}`,
      },
      new Date(detectedAt),
    );
    if (item.listenerRestoredAt !== undefined) {
      state = appendTimeline(
        state,
        {
          action: 'fast-path traffic rollback',
          result: 'ok',
          detail: 'listener confirmed 100 % live by the alarm listener',
        },
        new Date(item.listenerRestoredAt),
      );
      state = confirmed(state, item.listenerRestoredAt);
    }
    state = note(
      state,
      'decision',
      'info',
      `${decision.type} rollback (database: ${decision.database}): ${decision.why}`,
    );
    // No listener change is coming: the timeline says why there will be no figure.
    const record = state.weightEffective;
    if (record?.confirmedAt === null && record.unknownBecause?.startsWith(NOT_APPLICABLE) === true) {
      state = note(state, WEIGHT_EFFECTIVE_ACTION, 'skipped', describeWeightEffective(record));
    }
    // A retried begin finds ROLLING_BACK already recorded: the phase change was announced by the first one.
    if (item.phase !== 'ROLLING_BACK') {
      await tools.events.publish('Deployment Phase Changed', {
        ...eventStamp(holder, clock()),
        phase: 'ROLLING_BACK',
        previousPhase: item.phase === undefined ? null : EVENT_PHASE_OF_LOCK[item.phase],
      });
    }
    await tools.events.publish('Rollback Started', {
      ...eventStamp(holder, clock()),
      trigger,
      phase,
      reason,
      type: decision.type,
      detectedAt,
    });
    return state;
  }
}
