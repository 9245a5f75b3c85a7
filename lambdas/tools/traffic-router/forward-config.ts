import type { Action, TargetGroupStickinessConfig } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Side, Sides, Stickiness } from '../../shared/cutover-contracts';
import { DeploymentCrewError, InvalidInputError } from '../../shared/errors';

/**
 * The listener's default action as the traffic router reads and writes it: pure helpers, exported for tests and for
 * the agents' own messages.
 */

/** Error names (the state machine's Catch/Retry contract). */
export const LISTENER_NOT_SUPPORTED = 'ListenerNotSupported';
export const LISTENER_NOT_STEADY = 'ListenerNotSteady';
export const TRAFFIC_SHIFT_NOT_CONFIRMED = 'TrafficShiftNotConfirmed';
/** The default action is a forward, but not a weighted one to exactly the configured pair. */
export const LISTENER_NOT_BLUE_GREEN = 'ListenerNotBlueGreen';

/** The weight the live side gets when green has none: weights are sent as percentages. */
export const FULL_WEIGHT = 100;

export interface TargetGroupWeight {
  readonly targetGroupArn: string;
  readonly weight: number;
}

export interface ForwardState {
  readonly weights: readonly TargetGroupWeight[];
  /** Null when the forward action carries no stickiness configuration. */
  readonly stickiness: Stickiness | null;
}

/** Reads the weights and stickiness out of a listener's default actions; ListenerNotSupported for anything else. */
export function forwardStateOf(listenerArn: string, actions: readonly Action[] | undefined): ForwardState {
  const list = actions ?? [];
  const [action] = list;
  if (list.length !== 1 || action === undefined || action.Type !== 'forward') {
    const types = list.length === 0 ? 'none' : list.map((a) => a.Type ?? 'unknown').join(', ');
    throw new DeploymentCrewError(
      LISTENER_NOT_SUPPORTED,
      `listener ${listenerArn} must have exactly one default action of type 'forward' to shift traffic by weight; ` +
        `its default actions are: ${types}`,
    );
  }
  const tuples = action.ForwardConfig?.TargetGroups ?? [];
  let weights: TargetGroupWeight[];
  if (tuples.length > 0) {
    weights = tuples.map((tuple) => {
      if (tuple.TargetGroupArn === undefined) {
        throw new DeploymentCrewError(
          LISTENER_NOT_SUPPORTED,
          `listener ${listenerArn} forwards to a target group without an ARN`,
        );
      }
      // The weight is optional in the API; a forward to a single group without one sends it all the traffic.
      return { targetGroupArn: tuple.TargetGroupArn, weight: tuple.Weight ?? 1 };
    });
  } else if (action.TargetGroupArn !== undefined) {
    // Legacy single-target-group forward: all traffic on that group.
    weights = [{ targetGroupArn: action.TargetGroupArn, weight: 1 }];
  } else {
    throw new DeploymentCrewError(
      LISTENER_NOT_SUPPORTED,
      `listener ${listenerArn} has a forward action without target groups`,
    );
  }
  return { weights, stickiness: stickinessOf(action.ForwardConfig?.TargetGroupStickinessConfig) };
}

export function stickinessOf(config: TargetGroupStickinessConfig | undefined): Stickiness | null {
  if (config === undefined) return null;
  return { enabled: config.Enabled ?? false, durationSeconds: config.DurationSeconds ?? 0 };
}

/** `arn…/blue/abc=100, arn…/green/def=0`, for messages. */
export function describeWeights(weights: readonly TargetGroupWeight[]): string {
  if (weights.length === 0) return 'no target groups';
  return weights.map((w) => `${w.targetGroupArn}=${w.weight}`).join(', ');
}

/**
 * Null when the default action is a weighted forward (ForwardConfig.TargetGroups) to exactly the two groups of the
 * pair; otherwise what it is instead. A plain `TargetGroupArn` forward, or a forward config with one group or a third
 * one, cannot be shifted by weight between the pair.
 */
export function blueGreenProblem(action: Action, pair: readonly [Side, Side]): string | null {
  const groups = action.ForwardConfig?.TargetGroups ?? [];
  const arns = groups.map((group) => group.TargetGroupArn ?? 'a group without an ARN');
  if (groups.length === 0) {
    return action.TargetGroupArn === undefined
      ? 'a forward without target groups'
      : `a plain forward to ${action.TargetGroupArn} (TargetGroupArn, no weighted ForwardConfig)`;
  }
  const expected = pair.map((side) => side.targetGroupArn);
  const exactPair =
    arns.length === 2 && expected.every((arn) => arns.includes(arn)) && arns.every((arn) => expected.includes(arn));
  if (exactPair) return null;
  const listed = groups.map((group) => `${group.TargetGroupArn ?? '?'}=${group.Weight ?? 1}`).join(', ');
  return `a weighted forward to ${groups.length} group${groups.length === 1 ? '' : 's'} (${listed})`;
}

/** Weight of a group in the forward action, 0 when the group is not in it. */
export function weightOf(weights: readonly TargetGroupWeight[], targetGroupArn: string): number {
  return weights.filter((w) => w.targetGroupArn === targetGroupArn).reduce((sum, w) => sum + w.weight, 0);
}

export function assertGreenPercent(greenPercent: number): void {
  if (!Number.isInteger(greenPercent) || greenPercent < 0 || greenPercent > FULL_WEIGHT) {
    throw new InvalidInputError(`green weight must be an integer percentage from 0 to 100, got ${greenPercent}`);
  }
}

export function assertSides(sides: Sides): void {
  if (sides.live.targetGroupArn === sides.green.targetGroupArn) {
    throw new InvalidInputError(`live and green are the same target group: ${sides.live.targetGroupArn}`);
  }
  const stickiness = sides.stickiness;
  if (
    stickiness?.enabled === true &&
    (!Number.isInteger(stickiness.durationSeconds) || stickiness.durationSeconds < 1)
  ) {
    throw new InvalidInputError(
      `stickiness is enabled with a duration of ${stickiness.durationSeconds} s; ALB requires 1-604800 s`,
    );
  }
}

/** The complete default action for the pair: ModifyListener replaces whatever was there. */
export function forwardAction(sides: Sides, greenPercent: number): Action {
  const stickiness: TargetGroupStickinessConfig =
    sides.stickiness === null
      ? { Enabled: false }
      : sides.stickiness.enabled || sides.stickiness.durationSeconds > 0
        ? { Enabled: sides.stickiness.enabled, DurationSeconds: sides.stickiness.durationSeconds }
        : // ALB rejects a duration of 0 even with stickiness off.
          { Enabled: false };
  return {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: sides.live.targetGroupArn, Weight: FULL_WEIGHT - greenPercent },
        { TargetGroupArn: sides.green.targetGroupArn, Weight: greenPercent },
      ],
      TargetGroupStickinessConfig: stickiness,
    },
  };
}

/**
 * Null when the forward weights give green exactly `greenPercent` % of the traffic and nothing to other groups;
 * otherwise what is wrong. Compared as shares, so 200/0 confirms 100/0 and a legacy single-group forward confirms 0 %.
 */
export function weightMismatch(
  weights: readonly TargetGroupWeight[],
  sides: Sides,
  greenPercent: number,
): string | null {
  const live = weightOf(weights, sides.live.targetGroupArn);
  const green = weightOf(weights, sides.green.targetGroupArn);
  const others = weights.filter(
    (w) => w.targetGroupArn !== sides.live.targetGroupArn && w.targetGroupArn !== sides.green.targetGroupArn,
  );
  if (others.some((w) => w.weight > 0)) return 'traffic goes to a target group outside the pair';
  const total = live + green;
  if (total === 0) return 'both target groups have weight 0';
  if (green * FULL_WEIGHT !== greenPercent * total) {
    return `green has ${((green * FULL_WEIGHT) / total).toFixed(2)} % of the traffic, expected ${greenPercent} %`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
