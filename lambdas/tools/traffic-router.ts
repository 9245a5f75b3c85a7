import { setTimeout as sleepFor } from 'node:timers/promises';
import {
  type Action,
  DescribeListenersCommand,
  type DescribeListenersCommandOutput,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  type DescribeTargetHealthCommandOutput,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  type TargetGroupStickinessConfig,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import pRetry from 'p-retry';
import { parseListenerArn } from '../shared/arns';
import type { Side, Sides, Stickiness } from '../shared/cutover-contracts';
import { ConfigurationError, DeploymentCrewError, errorMessage, errorName, InvalidInputError } from '../shared/errors';
import { type ConfirmationSchedule, confirmationDelaysMs, LISTENER_CONFIRMATION } from '../shared/sdk-budget';

/**
 * traffic_router: reads and sets the weights of the blue-green pair on the application's ALB listener.
 *
 * The listener belongs to the application, not to this stack, so the tool only ever touches its default action, and
 * only when that action is a plain weighted forward between the two configured target groups. ModifyListener replaces
 * the whole action list, so every write sends the complete forward action, stickiness included, and every write is
 * followed by a re-read (`confirmWeights`) instead of assuming it took effect. DescribeListeners may still show the
 * old weights for a moment after ModifyListener, so that re-read retries with a short backoff before it gives up.
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

export interface TargetState {
  readonly id: string;
  /** Null for targets without a port (Lambda targets). */
  readonly port: number | null;
  readonly state: string;
  /** The reason code (`Target.ResponseCodeMismatch`, `Elb.RegistrationInProgress`, …); absent when healthy. */
  readonly reason?: string;
  readonly description?: string;
}

export interface TargetHealthSummary {
  readonly total: number;
  /** State `healthy`. */
  readonly healthy: number;
  /** States `unhealthy` and `unavailable`; `initial` and `unused` count in `total` only. */
  readonly unhealthy: number;
  /** States `draining` and `unhealthy.draining`. */
  readonly draining: number;
  readonly states: readonly TargetState[];
}

export interface TrafficRouter {
  readonly listenerArn: string;
  /** The listener's default forward action; ListenerNotSupported for anything else. */
  readForward(): Promise<ForwardState>;
  /**
   * Which configured side is live (carries all the weight) and which is green. ListenerNotSupported when the default
   * action is not a plain forward or a listener rule forwards to one of the pair (such traffic would not follow the
   * weights); ListenerNotBlueGreen when the forward is not weighted (ForwardConfig.TargetGroups) to exactly the two
   * configured groups; ListenerNotSteady when it is, but not with exactly one of them at 100 %.
   */
  resolveSides(pair: readonly Side[]): Promise<Sides>;
  /** Sends the complete forward action with `100 - greenPercent` on live and `greenPercent` on green. */
  setGreenWeight(sides: Sides, greenPercent: number): Promise<{ live: number; green: number }>;
  /**
   * Re-reads the listener until it shows the expected weights (a stale read is retried with backoff, see
   * LISTENER_CONFIRMATION); TrafficShiftNotConfirmed when the last read still does not.
   */
  confirmWeights(sides: Sides, greenPercent: number): Promise<{ confirmedAt: string }>;
  /** The rollback path: live 100 %, green 0 %, then confirmed. Always writes (a rollback must win over a step-up). */
  restoreLive(sides: Sides): Promise<{ restoredAt: string; confirmedAt: string }>;
  targetHealth(targetGroupArn: string): Promise<TargetHealthSummary>;
}

export interface TrafficRouterOptions {
  readonly clock?: () => Date;
  /**
   * How the confirming re-read retries a read that does not show the expected weights yet.
   * @default LISTENER_CONFIRMATION (5 reads, 250 ms doubling up to 2 s between them)
   */
  readonly confirmation?: ConfirmationSchedule;
  /**
   * Waits between confirming re-reads (tests record them instead, or advance a virtual clock).
   * @default a timer
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

export function createTrafficRouter(
  client: ElasticLoadBalancingV2Client,
  listenerArn: string,
  options: TrafficRouterOptions = {},
): TrafficRouter {
  try {
    parseListenerArn(listenerArn);
  } catch (error) {
    throw new ConfigurationError(`traffic router: ${errorMessage(error)}`);
  }
  return new AlbTrafficRouter(client, listenerArn, {
    clock: options.clock ?? (() => new Date()),
    confirmation: options.confirmation ?? LISTENER_CONFIRMATION,
    sleep: options.sleep ?? ((ms) => sleepFor(ms)),
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Pure helpers, exported for tests and for the agents' own messages.

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

function stickinessOf(config: TargetGroupStickinessConfig | undefined): Stickiness | null {
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
function weightOf(weights: readonly TargetGroupWeight[], targetGroupArn: string): number {
  return weights.filter((w) => w.targetGroupArn === targetGroupArn).reduce((sum, w) => sum + w.weight, 0);
}

function assertGreenPercent(greenPercent: number): void {
  if (!Number.isInteger(greenPercent) || greenPercent < 0 || greenPercent > FULL_WEIGHT) {
    throw new InvalidInputError(`green weight must be an integer percentage from 0 to 100, got ${greenPercent}`);
  }
}

function assertSides(sides: Sides): void {
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

/** A confirming read that does not show the expected weights (yet): retried, then TrafficShiftNotConfirmed. */
class StaleWeights extends Error {
  constructor(
    readonly mismatch: string,
    readonly weights: readonly TargetGroupWeight[],
  ) {
    super(mismatch);
    this.name = 'StaleWeights';
  }
}

interface RouterSettings {
  readonly clock: () => Date;
  readonly confirmation: ConfirmationSchedule;
  readonly sleep: (ms: number) => Promise<void>;
}

class AlbTrafficRouter implements TrafficRouter {
  private readonly clock: () => Date;

  constructor(
    private readonly client: ElasticLoadBalancingV2Client,
    readonly listenerArn: string,
    private readonly settings: RouterSettings,
  ) {
    this.clock = settings.clock;
  }

  async readForward(): Promise<ForwardState> {
    return forwardStateOf(this.listenerArn, await this.readDefaultActions());
  }

  private async readDefaultActions(): Promise<Action[] | undefined> {
    let listeners: DescribeListenersCommandOutput;
    try {
      listeners = await this.client.send(new DescribeListenersCommand({ ListenerArns: [this.listenerArn] }));
    } catch (error) {
      if (errorName(error) === 'ListenerNotFoundException') {
        throw new ConfigurationError(`listener ${this.listenerArn} does not exist`);
      }
      throw error;
    }
    const listener = listeners.Listeners?.[0];
    if (listener === undefined) throw new ConfigurationError(`listener ${this.listenerArn} does not exist`);
    return listener.DefaultActions;
  }

  async resolveSides(pair: readonly Side[]): Promise<Sides> {
    const [first, second] = pair;
    if (pair.length !== 2 || first === undefined || second === undefined) {
      throw new ConfigurationError(`exactly two sides must be configured, got ${pair.length}`);
    }
    if (first.targetGroupArn === second.targetGroupArn) {
      throw new ConfigurationError(`both configured sides use target group ${first.targetGroupArn}`);
    }
    const actions = await this.readDefaultActions();
    const forward = forwardStateOf(this.listenerArn, actions);
    // forwardStateOf accepted it, so there is exactly one action, a forward.
    const problem = actions?.[0] === undefined ? 'no action' : blueGreenProblem(actions[0], [first, second]);
    if (problem !== null) {
      throw new DeploymentCrewError(
        LISTENER_NOT_BLUE_GREEN,
        `listener ${this.listenerArn} is not set up for blue-green: its default action is ${problem}; expected a ` +
          `weighted forward (ForwardConfig.TargetGroups) to exactly the two target groups ${first.targetGroupArn} and ` +
          `${second.targetGroupArn}, the live one with a positive weight and the other with weight 0`,
      );
    }
    const notSteady = (why: string) =>
      new DeploymentCrewError(
        LISTENER_NOT_STEADY,
        `listener ${this.listenerArn} is not steady (${why}); weights: ${describeWeights(forward.weights)}. ` +
          'Finish or roll back the previous deployment before starting a new one.',
      );
    const firstWeight = weightOf(forward.weights, first.targetGroupArn);
    const secondWeight = weightOf(forward.weights, second.targetGroupArn);
    let live: Side;
    let green: Side;
    if (firstWeight > 0 && secondWeight === 0) {
      live = first;
      green = second;
    } else if (secondWeight > 0 && firstWeight === 0) {
      live = second;
      green = first;
    } else if (firstWeight === 0 && secondWeight === 0) {
      throw notSteady('no target group carries traffic');
    } else {
      throw notSteady('traffic is split between the two sides');
    }
    await this.assertNoRuleForwardsTo([first.targetGroupArn, second.targetGroupArn]);
    return { live, green, stickiness: forward.stickiness, resolvedAt: this.clock().toISOString() };
  }

  async setGreenWeight(sides: Sides, greenPercent: number): Promise<{ live: number; green: number }> {
    assertGreenPercent(greenPercent);
    assertSides(sides);
    await this.client.send(
      new ModifyListenerCommand({
        ListenerArn: this.listenerArn,
        DefaultActions: [forwardAction(sides, greenPercent)],
      }),
    );
    return { live: FULL_WEIGHT - greenPercent, green: greenPercent };
  }

  async confirmWeights(sides: Sides, greenPercent: number): Promise<{ confirmedAt: string }> {
    assertGreenPercent(greenPercent);
    const delays = confirmationDelaysMs(this.settings.confirmation);
    let reads = 0;
    try {
      await pRetry(
        async () => {
          reads += 1;
          const forward = await this.readForward();
          const mismatch = weightMismatch(forward.weights, sides, greenPercent);
          if (mismatch !== null) throw new StaleWeights(mismatch, forward.weights);
        },
        {
          retries: delays.length,
          // The waits are ours (injectable), taken in onFailedAttempt: p-retry itself does not wait.
          minTimeout: 0,
          shouldRetry: ({ error }) => error instanceof StaleWeights,
          onFailedAttempt: async ({ error, retriesConsumed, retriesLeft }) => {
            if (error instanceof StaleWeights && retriesLeft > 0)
              await this.settings.sleep(delays[retriesConsumed] ?? 0);
          },
        },
      );
    } catch (error) {
      // Anything but a stale read (the listener unreadable, an SDK error after its own retries) is not re-read.
      if (!(error instanceof StaleWeights)) throw error;
      throw new DeploymentCrewError(
        TRAFFIC_SHIFT_NOT_CONFIRMED,
        `listener ${this.listenerArn} does not show live ${FULL_WEIGHT - greenPercent} / green ${greenPercent} ` +
          `after ${reads} reads: ${error.mismatch}; weights: ${describeWeights(error.weights)}`,
      );
    }
    return { confirmedAt: this.clock().toISOString() };
  }

  async restoreLive(sides: Sides): Promise<{ restoredAt: string; confirmedAt: string }> {
    await this.setGreenWeight(sides, 0);
    const restoredAt = this.clock().toISOString();
    const { confirmedAt } = await this.confirmWeights(sides, 0);
    return { restoredAt, confirmedAt };
  }

  async targetHealth(targetGroupArn: string): Promise<TargetHealthSummary> {
    let descriptions: DescribeTargetHealthCommandOutput;
    try {
      descriptions = await this.client.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }));
    } catch (error) {
      if (errorName(error) === 'TargetGroupNotFoundException') {
        throw new ConfigurationError(`target group ${targetGroupArn} does not exist`);
      }
      throw error;
    }
    const states: TargetState[] = (descriptions.TargetHealthDescriptions ?? []).map((d) => {
      const reason = d.TargetHealth?.Reason;
      const description = d.TargetHealth?.Description;
      return {
        id: d.Target?.Id ?? 'unknown',
        port: d.Target?.Port ?? null,
        state: d.TargetHealth?.State ?? 'unknown',
        ...(reason === undefined ? {} : { reason }),
        ...(description === undefined ? {} : { description }),
      };
    });
    const count = (...wanted: string[]) => states.filter((s) => wanted.includes(s.state)).length;
    return {
      total: states.length,
      healthy: count('healthy'),
      unhealthy: count('unhealthy', 'unavailable'),
      draining: count('draining', 'unhealthy.draining'),
      states,
    };
  }

  /**
   * Traffic that a listener rule forwards to blue or green does not follow the default action's weights: a canary on
   * such a listener would shift only part of the traffic, and a rollback would leave the rest on green.
   */
  private async assertNoRuleForwardsTo(targetGroupArns: readonly string[]): Promise<void> {
    const offending: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new DescribeRulesCommand({
          ListenerArn: this.listenerArn,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      for (const rule of page.Rules ?? []) {
        if (rule.IsDefault === true) continue;
        const arns = (rule.Actions ?? []).flatMap((action) => [
          ...(action.TargetGroupArn === undefined ? [] : [action.TargetGroupArn]),
          ...(action.ForwardConfig?.TargetGroups ?? []).flatMap((t) =>
            t.TargetGroupArn === undefined ? [] : [t.TargetGroupArn],
          ),
        ]);
        if (arns.some((arn) => targetGroupArns.includes(arn))) {
          offending.push(`${rule.RuleArn ?? 'unknown rule'} (priority ${rule.Priority ?? '?'})`);
        }
      }
      marker = page.NextMarker;
    } while (marker !== undefined && marker !== '');
    if (offending.length > 0) {
      throw new DeploymentCrewError(
        LISTENER_NOT_SUPPORTED,
        `listener ${this.listenerArn} has rules that forward to the blue-green pair, so their traffic would not ` +
          `follow the canary weights: ${offending.join(', ')}`,
      );
    }
  }
}
