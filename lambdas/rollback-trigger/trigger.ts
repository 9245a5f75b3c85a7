import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { SendTaskFailureCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { AlarmRoute } from '../shared/config/rollback-trigger';
import { DeploymentCrewError, errorMessage, errorName } from '../shared/errors';
import type { RollbackTrigger } from '../shared/lock-contracts';
import { logger } from '../shared/logger';
import type { DeploymentLock, LockItem, RollbackClaim, RollbackRequest } from '../tools/deployment-lock';
import type { TrafficRouter } from '../tools/traffic-router';
import {
  ALARM_EVENT_DOUBT_AFTER_MS,
  ALARM_FLAG_PHASES,
  claimGuardOf,
  MANUAL_FLAG_PHASES,
  PROBE_FLAG_PHASES,
  type RollbackRequestInput,
  TRAFFIC_PHASES,
} from './requests';

/**
 * The fast path of a rollback. An alarm entering ALARM (through EventBridge), a prober's report that green stopped
 * answering, or the Chairman's override claims the rollback on the lock, puts the listener back to 100 % live at
 * once, and then, in a `finally`, fails the waiting bake token (or the post-promotion watch's, stored alike) so that
 * the state machine goes to the RollbackCoordinator: whatever happened to the listener, the bake never goes on.
 *
 * The claim is the first call: one conditional write that lands only where the judgement below would let the request
 * act (phase, holder, green, the side an alarm watches, an event not older than the lock) and returns the item with
 * the bake token of that instant. Only when it does not land is the request judged against the item it returns, and
 * claimed as read; an alarm event in doubt asks CloudWatch first. The request is on the lock before the listener is
 * touched, so a cutover step in flight or retried later sees it and refuses to move traffic again: the rollback wins
 * whatever the timing.
 */

export { type ManualRollback, manualRollbackSchema } from '../shared/operator-requests';
export {
  ALARM_EVENT_DOUBT_AFTER_MS,
  type AlarmEvent,
  alarmEventSchema,
  alarmToRequest,
  type RollbackRequestInput,
} from './requests';

export interface TriggerOutcome {
  /** `already-requested`: another request claimed the rollback first; this one did not touch the listener. */
  readonly action: 'ignored' | 'flagged' | 'traffic-restored' | 'already-requested';
  readonly deployment: string | null;
  readonly detail: string;
  readonly listenerRestoredAt?: string;
  readonly bakeInterrupted?: boolean;
}

export interface RollbackTriggerTools {
  readonly lock: DeploymentLock;
  readonly router: TrafficRouter;
  readonly sfn: SFNClient;
  /** DescribeAlarms, to re-read an alarm whose event is in doubt (unreadable time, or late). */
  readonly cloudwatch: CloudWatchClient;
  /**
   * Alarm name → route. A target-group alarm counts only on green once green carries traffic: the live side's says
   * nothing about green (rolling back to it would not help), and green's before the first shift watches a side that
   * serves nobody (its health alarm flaps while it is scaled or replaced). An alarm without a target group, or not in
   * the routes (extra alarms, recorded as ALARM), always counts.
   */
  readonly alarmRoutes: Readonly<Record<string, AlarmRoute>>;
  readonly clock?: () => Date;
}

/** What a judgement returns when the phase moved between its read and its claim: the item as the claim found it. */
interface PhaseMoved {
  readonly phaseMoved: LockItem;
}

/** One request's memory across its judgements: CloudWatch is asked about an alarm at most once. */
interface Judging {
  alarmState?: Promise<string | undefined>;
}

/** SendTaskFailure answers for a token that was already answered or timed out: the bake has ended. */
const CLOSED_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);
/** Room for the listener's error in the task failure's cause (at most 32,768 characters in all). */
const MAX_ERROR_TEXT = 2_000;

interface BakeEnd {
  readonly interrupted: boolean;
  /** Why SendTaskFailure failed; the token is left in the lock for a retry (or a later alarm) to end. */
  readonly error?: unknown;
}

export function createRollbackTrigger(tools: RollbackTriggerTools) {
  const clock = tools.clock ?? (() => new Date());

  /** The alarm's state now, or undefined when it does not exist (metric and composite alarms alike). */
  const alarmStateNow = async (alarmName: string): Promise<string | undefined> => {
    const { MetricAlarms, CompositeAlarms } = await tools.cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
    );
    return MetricAlarms?.[0]?.StateValue ?? CompositeAlarms?.[0]?.StateValue;
  };

  /** Why an alarm event must not roll this deployment back, or undefined when it may. */
  const whyNotThisDeployment = async (
    input: RollbackRequestInput,
    item: LockItem,
    judging: Judging,
  ): Promise<string | undefined> => {
    const alarmName = input.alarmName ?? '';
    const eventAt = Date.parse(input.eventTime ?? '');
    const acquiredAt = Date.parse(item.acquiredAt ?? '');
    // The event's time has whole seconds: it is older than the lock only when its whole second is.
    if (Number.isFinite(eventAt) && Number.isFinite(acquiredAt) && eventAt < Math.floor(acquiredAt / 1000) * 1000) {
      return `the ${alarmName} event of ${input.eventTime} is from before this deployment took the lock (${item.acquiredAt})`;
    }
    let doubt: string | undefined;
    if (!Number.isFinite(eventAt)) doubt = `its time ${JSON.stringify(input.eventTime ?? null)} is unreadable`;
    else if (clock().getTime() - eventAt > ALARM_EVENT_DOUBT_AFTER_MS) doubt = `it is from ${input.eventTime}`;
    if (doubt === undefined) return undefined;
    judging.alarmState ??= alarmStateNow(alarmName);
    const state = await judging.alarmState;
    logger.info('alarm event in doubt: alarm state re-read', { alarmName, eventTime: input.eventTime, doubt, state });
    return state === 'ALARM'
      ? undefined
      : `the ${alarmName} event is in doubt (${doubt}) and the alarm is now ${state ?? 'gone'}`;
  };

  /**
   * One claim, conditional on the bake token and the phase as read, and one more against the item as it is now when
   * only the bake token changed in between (a bake began or ended). A phase that moved is not claimed over: what the
   * request may do depends on the phase (after RETIRING, nothing), so the caller judges it again.
   */
  const claim = async (holder: string, request: RollbackRequest, read: LockItem): Promise<RollbackClaim> => {
    const first = await tools.lock.claimRollback(holder, request, read.bakeToken ?? null, read.phase ?? null);
    if (first.claimed || first.item.rollback !== undefined) return first;
    if ((first.item.phase ?? null) !== (read.phase ?? null)) return first;
    return tools.lock.claimRollback(holder, request, first.item.bakeToken ?? null, first.item.phase ?? null);
  };

  /** Fails the bake token (never throws: the failure is returned) and clears it from the lock once it is closed. */
  const endBake = async (holder: string, token: string | undefined, error: string, cause: string): Promise<BakeEnd> => {
    if (token === undefined) return { interrupted: false };
    let interrupted = true;
    try {
      await tools.sfn.send(new SendTaskFailureCommand({ taskToken: token, error, cause }));
    } catch (failure) {
      // The bake already ended (timed out or answered): the next step sees the request in the lock instead.
      if (!CLOSED_TOKEN_ERRORS.has(errorName(failure) ?? '')) {
        logger.error('the bake token could not be failed', { deployment: holder, error: describe(failure) });
        return { interrupted: false, error: failure };
      }
      interrupted = false;
    }
    try {
      await tools.lock.clearBakeTokenIf(holder, token);
    } catch (failure) {
      // The token is closed either way: a later alarm failing it again gets InvalidToken, which is handled above.
      logger.warn('a closed bake token stays in the lock', { deployment: holder, error: describe(failure) });
    }
    return { interrupted };
  };

  /** What the request is, as recorded on the lock, and the route of its alarm. */
  const routeOf = (input: RollbackRequestInput) => {
    const isAlarm = input.trigger !== 'MANUAL' && input.alarmName !== undefined;
    const route = isAlarm ? tools.alarmRoutes[input.alarmName ?? ''] : undefined;
    const trigger: RollbackTrigger = isAlarm ? (route?.trigger ?? 'ALARM') : input.trigger;
    return { isAlarm, route, trigger };
  };

  const requestOf = (input: RollbackRequestInput, trigger: RollbackTrigger): RollbackRequest => ({
    trigger,
    reason: input.reason,
    requestedAt: clock().toISOString(),
    requestedBy: input.requestedBy,
    ...(input.alarmName === undefined ? {} : { alarmName: input.alarmName }),
    ...(input.detectedAt === undefined ? {} : { detectedAt: input.detectedAt }),
  });

  /**
   * Claims first where the guard allows it; a claim that does not land is judged against the item it returned. A
   * request whose claim found the phase moved is judged once more, against the item that claim returned.
   */
  return async function requestRollback(input: RollbackRequestInput): Promise<TriggerOutcome> {
    const guard = claimGuardOf(input, routeOf(input).route, clock());
    let seen: { readonly item: LockItem | undefined } | undefined;
    if (guard !== undefined) {
      const request = requestOf(input, routeOf(input).trigger);
      const fast = await tools.lock.claimRollbackIf(request, guard);
      if (fast.claimed) {
        const { holder, phase } = fast.item;
        logger.info('rollback claimed', {
          deployment: holder,
          trigger: request.trigger,
          phase,
          alarmName: input.alarmName,
        });
        return restoreAndEndBake(input, request, fast.item);
      }
      seen = { item: fast.item };
    }
    const judging: Judging = {};
    const first = await judgeAndClaim(input, seen, judging);
    if (!('phaseMoved' in first)) return first;
    const second = await judgeAndClaim(input, { item: first.phaseMoved }, judging);
    if (!('phaseMoved' in second)) return second;
    return {
      action: 'ignored',
      deployment: null,
      detail: 'the deployment changed phase twice while this request was judged',
    };
  };

  /** Judges the request against the lock as `seen` (read here when undefined), and claims it as read. */
  async function judgeAndClaim(
    input: RollbackRequestInput,
    seen: { readonly item: LockItem | undefined } | undefined,
    judging: Judging,
  ): Promise<TriggerOutcome | PhaseMoved> {
    const { isAlarm, route, trigger } = routeOf(input);
    const current = seen === undefined ? await tools.lock.read() : seen.item;
    if (current === undefined || current.lockState !== 'HELD') {
      if (input.deployment !== undefined) {
        throw new DeploymentCrewError(
          'NoDeploymentInProgress',
          `no deployment is in progress (asked: ${input.deployment})`,
        );
      }
      return { action: 'ignored', deployment: null, detail: 'no deployment holds the lock' };
    }
    const holder = current.holder;
    if (input.deployment !== undefined && input.deployment !== holder) {
      throw new DeploymentCrewError(
        'NotTheDeploymentInProgress',
        `deployment ${input.deployment} is not the one in progress (${holder} is)`,
      );
    }
    const phase = current.phase ?? 'VALIDATION';
    const isProbe = input.probedTargetGroupArn !== undefined;
    const flagPhases =
      input.trigger === 'MANUAL' ? MANUAL_FLAG_PHASES : isProbe ? PROBE_FLAG_PHASES : ALARM_FLAG_PHASES;
    if (!TRAFFIC_PHASES.has(phase) && !flagPhases.has(phase)) {
      return { action: 'ignored', deployment: holder, detail: `deployment is in phase ${phase}` };
    }
    const green = current.sides?.green.targetGroupArn;
    if (isProbe && input.probedTargetGroupArn !== green) {
      return {
        action: 'ignored',
        deployment: holder,
        detail: `the probe report is about ${input.probedTargetGroupArn}, which is not green (${green ?? 'no sides yet'})`,
      };
    }
    // A target-group alarm counts only for green once green carries traffic; one that watches no side always counts.
    const watched = route?.targetGroupArn ?? null;
    if (watched !== null && watched === current.sides?.live.targetGroupArn) {
      return { action: 'ignored', deployment: holder, detail: `${input.alarmName} watches the live side` };
    }
    if (watched !== null && current.sides === undefined) {
      return {
        action: 'ignored',
        deployment: holder,
        detail: `${input.alarmName} watches a target group, and this deployment has moved no traffic yet`,
      };
    }
    if (watched !== null && current.greenWeight === 0) {
      return {
        action: 'ignored',
        deployment: holder,
        detail: `${input.alarmName} watches green, which carries no traffic yet`,
      };
    }
    if (isAlarm) {
      const why = await whyNotThisDeployment(input, current, judging);
      if (why !== undefined) {
        logger.info('alarm event not acted on', { deployment: holder, alarmName: input.alarmName, why });
        return { action: 'ignored', deployment: holder, detail: why };
      }
    }

    const request = requestOf(input, trigger);
    const claimed = await claim(holder, request, current);
    const item = claimed.item;
    if (!claimed.claimed && item.rollback === undefined) {
      logger.info('the phase moved before the rollback was claimed: judged again', {
        deployment: holder,
        read: phase,
        now: item.phase,
      });
      return { phaseMoved: item };
    }
    const recorded = item.rollback ?? request;
    const errorNameForBake = recorded.trigger === 'MANUAL' ? 'RollbackRequested' : 'AlarmTriggered';

    if (!claimed.claimed) {
      // Another request claimed the rollback and moves the listener. A token still in the lock is a bake nobody has
      // ended yet (its claimer is on it, or failed before it could): ending it twice is harmless, leaving it is not.
      const bake = await endBake(holder, item.bakeToken, errorNameForBake, causeOf(recorded, item, null));
      if (bake.error !== undefined) throw bake.error;
      logger.info('rollback already requested', { deployment: holder, trigger, first: recorded.trigger });
      return {
        action: 'already-requested',
        deployment: holder,
        detail: `a rollback was already requested (${recorded.trigger} by ${recorded.requestedBy} at ${recorded.requestedAt})`,
        bakeInterrupted: bake.interrupted,
      };
    }
    logger.info('rollback claimed', { deployment: holder, trigger, phase, alarmName: input.alarmName });
    return restoreAndEndBake(input, request, item);
  }

  /** After a claim: the listener back to live (in a traffic phase), then the bake failed whatever happened. */
  async function restoreAndEndBake(
    input: RollbackRequestInput,
    request: RollbackRequest,
    item: LockItem,
  ): Promise<TriggerOutcome> {
    const holder = item.holder;
    const recorded = item.rollback ?? request;
    const errorNameForBake = recorded.trigger === 'MANUAL' ? 'RollbackRequested' : 'AlarmTriggered';

    let listenerRestoredAt: string | undefined;
    let listenerError: unknown;
    let bake: BakeEnd = { interrupted: false };
    try {
      if (item.phase !== undefined && TRAFFIC_PHASES.has(item.phase) && item.sides !== undefined) {
        listenerRestoredAt = (await tools.router.restoreLive(item.sides)).confirmedAt;
        await tools.lock.recordListenerRestored(holder, listenerRestoredAt);
      }
    } catch (error) {
      listenerError = error;
      logger.error('the listener was not restored; the bake is failed all the same', {
        deployment: holder,
        error: describe(error),
      });
    } finally {
      // Whatever happened to the listener, the bake must not go on with green taking traffic: the coordinator puts
      // the listener back with its own retries, and escalates if it cannot.
      const cause = causeOf(
        recorded,
        { listenerRestoredAt },
        listenerError === undefined ? null : describe(listenerError),
      );
      bake = await endBake(holder, item.bakeToken, errorNameForBake, cause);
    }
    // Rethrown, so that the invocation counts as failed (retried, then sent to the on-failure destination).
    if (listenerError !== undefined) throw listenerError;
    if (bake.error !== undefined) throw bake.error;
    return {
      action: listenerRestoredAt === undefined ? 'flagged' : 'traffic-restored',
      deployment: holder,
      detail: `rollback requested: ${input.reason}`,
      ...(listenerRestoredAt === undefined ? {} : { listenerRestoredAt }),
      bakeInterrupted: bake.interrupted,
    };
  }
}

/** The task failure's cause: the recorded request (the first one), and what became of the listener. */
function causeOf(
  recorded: RollbackRequest,
  listener: { readonly listenerRestoredAt?: string | undefined },
  listenerError: string | null,
): string {
  return JSON.stringify({
    trigger: recorded.trigger,
    reason: recorded.reason,
    alarmName: recorded.alarmName ?? null,
    requestedAt: recorded.requestedAt,
    listenerRestoredAt: listener.listenerRestoredAt ?? null,
    listenerError,
  });
}

function describe(error: unknown): string {
  const text = `${errorName(error) ?? 'Error'}: ${errorMessage(error)}`;
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}
