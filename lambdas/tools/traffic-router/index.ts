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
} from '@aws-sdk/client-elastic-load-balancing-v2';
import pRetry from 'p-retry';
import { parseListenerArn } from '../../shared/arns';
import type { Side, Sides } from '../../shared/cutover-contracts';
import { ConfigurationError, DeploymentCrewError, errorMessage, errorName } from '../../shared/errors';
import { type ConfirmationSchedule, confirmationDelaysMs, LISTENER_CONFIRMATION } from '../../shared/sdk-budget';

import {
  assertGreenPercent,
  assertSides,
  blueGreenProblem,
  describeWeights,
  type ForwardState,
  FULL_WEIGHT,
  forwardAction,
  forwardStateOf,
  LISTENER_NOT_BLUE_GREEN,
  LISTENER_NOT_STEADY,
  LISTENER_NOT_SUPPORTED,
  type TargetGroupWeight,
  TRAFFIC_SHIFT_NOT_CONFIRMED,
  weightMismatch,
  weightOf,
} from './forward-config';

export {
  blueGreenProblem,
  describeWeights,
  type ForwardState,
  FULL_WEIGHT,
  forwardAction,
  forwardStateOf,
  LISTENER_NOT_BLUE_GREEN,
  LISTENER_NOT_STEADY,
  LISTENER_NOT_SUPPORTED,
  type TargetGroupWeight,
  TRAFFIC_SHIFT_NOT_CONFIRMED,
  weightMismatch,
};

/**
 * traffic_router: reads and sets the weights of the blue-green pair on the application's ALB listener.
 *
 * The listener belongs to the application, not to this stack, so the tool only ever touches its default action, and
 * only when that action is a plain weighted forward between the two configured target groups. ModifyListener replaces
 * the whole action list, so every write sends the complete forward action, stickiness included, and every write is
 * followed by a re-read (`confirmWeights`) instead of assuming it took effect. DescribeListeners may still show the
 * old weights for a moment after ModifyListener, so that re-read retries with a short backoff before it gives up.
 */

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
