import {
  type Action,
  DescribeListenersCommand,
  type DescribeListenersCommandInput,
  type DescribeListenersCommandOutput,
  DescribeRulesCommand,
  type DescribeRulesCommandInput,
  type DescribeRulesCommandOutput,
  DescribeTargetHealthCommand,
  type DescribeTargetHealthCommandInput,
  type DescribeTargetHealthCommandOutput,
  ElasticLoadBalancingV2Client,
  type Listener,
  ModifyListenerCommand,
  type ModifyListenerCommandInput,
  type ModifyListenerCommandOutput,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CallLog } from './call-log';
import { LOAD_BALANCER_ARN, SIM } from './constants';
import type { SimulatedEcs } from './ecs';
import { assertOnlyKeys, awsError, throttlingError } from './errors';
import { simulateClient, simulatedClientConfig } from './sdk-stub';
import type { TrafficHistory } from './traffic';

/**
 * The application's ALB listener: a default action forwarding to blue (100) and green (0), no rules of its own
 * besides the default one. ModifyListener accepts only the complete weighted forward of the pair (what the traffic
 * router sends) and can be made to fail as the scenario says.
 */

export interface ModifyListenerFaults {
  /** The first N ModifyListener calls fail with a retryable ThrottlingException. */
  readonly throttleTimes?: number;
  /** Every write that would give green this weight fails with a non-retryable ValidationError. */
  readonly failWhenGreenWeightIs?: number;
  /** Every write that would give green 0 fails the same way. */
  readonly failRestores?: boolean;
  /**
   * The listener starts as a console-made one: a plain forward (`TargetGroupArn`) to blue, no ForwardConfig, so
   * green could never get a weight.
   */
  readonly plainForwardToBlue?: boolean;
}

type Output<T> = Omit<T, '$metadata'>;

const MAX_WEIGHT = 999;

export class SimulatedLoadBalancer {
  /** Green's weight after each successful ModifyListener, in order. */
  readonly greenWeights: number[] = [];
  private defaultActions: Action[];
  private throttlesLeft: number;
  /** What DescribeListeners still answers after a write, for `readsLeft` reads (a `staleRead` fault). */
  private staleView: { actions: Action[]; readsLeft: number } | undefined;
  private client: ElasticLoadBalancingV2Client | undefined;

  constructor(
    private readonly log: CallLog,
    private readonly ecs: SimulatedEcs,
    private readonly traffic: TrafficHistory,
    private readonly faults: ModifyListenerFaults,
  ) {
    this.defaultActions = faults.plainForwardToBlue
      ? [{ Type: 'forward', TargetGroupArn: SIM.blueTargetGroupArn }]
      : [forwardOf(100, 0, { Enabled: false })];
    this.throttlesLeft = faults.throttleTimes ?? 0;
  }

  currentWeights(): { blue: number; green: number } {
    const groups = this.defaultActions[0]?.ForwardConfig?.TargetGroups ?? [];
    const weight = (arn: string) => groups.find((group) => group.TargetGroupArn === arn)?.Weight ?? 0;
    return { blue: weight(SIM.blueTargetGroupArn), green: weight(SIM.greenTargetGroupArn) };
  }

  elbClient(): ElasticLoadBalancingV2Client {
    if (this.client !== undefined) return this.client;
    const client = new ElasticLoadBalancingV2Client(simulatedClientConfig());
    const mock = simulateClient(client, 'ELB', this.log);
    mock
      .on(DescribeListenersCommand)
      .callsFake((input: DescribeListenersCommandInput) =>
        this.log.run('ELB:DescribeListeners', () => this.describeListeners(input)),
      );
    mock
      .on(DescribeRulesCommand)
      .callsFake((input: DescribeRulesCommandInput) =>
        this.log.run('ELB:DescribeRules', () => this.describeRules(input)),
      );
    mock
      .on(ModifyListenerCommand)
      .callsFake((input: ModifyListenerCommandInput) =>
        this.log.run(`ELB:ModifyListener ${summarizeActions(input.DefaultActions)}`, () => this.modifyListener(input)),
      );
    mock
      .on(DescribeTargetHealthCommand)
      .callsFake((input: DescribeTargetHealthCommandInput) =>
        this.log.run(`ELB:DescribeTargetHealth ${targetGroupName(input.TargetGroupArn)}`, () =>
          this.describeTargetHealth(input),
        ),
      );
    this.client = client;
    return client;
  }

  private listener(actions: Action[] = this.defaultActions): Listener {
    return {
      ListenerArn: SIM.listenerArn,
      LoadBalancerArn: LOAD_BALANCER_ARN,
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: `arn:aws:acm:${SIM.region}:${SIM.account}:certificate/shop-prod` }],
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: structuredClone(actions),
    };
  }

  private describeListeners(input: DescribeListenersCommandInput): Output<DescribeListenersCommandOutput> {
    assertOnlyKeys('ELB', 'DescribeListeners', input, ['ListenerArns']);
    const arns = input.ListenerArns ?? [];
    if (arns.length === 0) throw awsError('ValidationError', 'ListenerArns must be given (nothing else is modelled)');
    const unknown = arns.filter((arn) => arn !== SIM.listenerArn);
    if (unknown.length > 0) throw awsError('ListenerNotFoundException', `One or more listeners not found`);
    const stale = this.staleView;
    if (stale !== undefined && stale.readsLeft > 0) {
      stale.readsLeft -= 1;
      return { Listeners: arns.map(() => this.listener(stale.actions)) };
    }
    return { Listeners: arns.map(() => this.listener()) };
  }

  private describeRules(input: DescribeRulesCommandInput): Output<DescribeRulesCommandOutput> {
    assertOnlyKeys('ELB', 'DescribeRules', input, ['ListenerArn']);
    if (input.ListenerArn !== SIM.listenerArn) {
      throw awsError('ListenerNotFoundException', 'One or more listeners not found');
    }
    return {
      Rules: [
        {
          RuleArn: SIM.listenerArn.replace(':listener/', ':listener-rule/').concat('/0000default00000'),
          Priority: 'default',
          IsDefault: true,
          Conditions: [],
          Actions: structuredClone(this.defaultActions),
        },
      ],
    };
  }

  private modifyListener(input: ModifyListenerCommandInput): Output<ModifyListenerCommandOutput> {
    assertOnlyKeys('ELB', 'ModifyListener', input, ['ListenerArn', 'DefaultActions']);
    if (input.ListenerArn !== SIM.listenerArn) {
      throw awsError('ListenerNotFoundException', 'One or more listeners not found');
    }
    if (this.throttlesLeft > 0) {
      this.throttlesLeft -= 1;
      throw throttlingError();
    }
    const weights = validateForward(input.DefaultActions);
    if (this.faults.failWhenGreenWeightIs !== undefined && weights.green === this.faults.failWhenGreenWeightIs) {
      throw awsError('ValidationError', 'simulated rejection');
    }
    if (this.faults.failRestores === true && weights.green === 0) {
      throw awsError('ValidationError', 'simulated rejection');
    }
    const staleReads = this.log.staleReadsAfterWrite('ELB:DescribeListeners');
    if (staleReads > 0) this.staleView = { actions: this.defaultActions, readsLeft: staleReads };
    this.defaultActions = [forwardOf(weights.blue, weights.green, weights.stickiness)];
    this.greenWeights.push(weights.green);
    this.traffic.recordWeights(weights.blue, weights.green);
    return { Listeners: [this.listener()] };
  }

  private describeTargetHealth(input: DescribeTargetHealthCommandInput): Output<DescribeTargetHealthCommandOutput> {
    assertOnlyKeys('ELB', 'DescribeTargetHealth', input, ['TargetGroupArn']);
    const targets = this.ecs.targetHealth(input.TargetGroupArn ?? '');
    if (targets === undefined) {
      throw awsError('TargetGroupNotFoundException', `Target groups '${input.TargetGroupArn ?? ''}' not found`);
    }
    return { TargetHealthDescriptions: targets };
  }
}

type StickinessConfig = NonNullable<NonNullable<Action['ForwardConfig']>['TargetGroupStickinessConfig']>;

function forwardOf(blue: number, green: number, stickiness: StickinessConfig): Action {
  return {
    Type: 'forward',
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: SIM.blueTargetGroupArn, Weight: blue },
        { TargetGroupArn: SIM.greenTargetGroupArn, Weight: green },
      ],
      TargetGroupStickinessConfig: { ...stickiness },
    },
  };
}

function targetGroupName(arn: string | undefined): string {
  return arn?.split('/')[1] ?? String(arn);
}

function summarizeActions(actions: readonly Action[] | undefined): string {
  const groups = actions?.[0]?.ForwardConfig?.TargetGroups;
  if (actions?.length !== 1 || groups === undefined) return '(not a weighted forward)';
  return groups
    .map((group) => `${targetGroupName(group.TargetGroupArn).replace(/^shop-/, '')}=${group.Weight}`)
    .join(' ');
}

/** The complete weighted forward of the pair, or a ValidationError naming what is wrong. */
function validateForward(actions: readonly Action[] | undefined): {
  blue: number;
  green: number;
  stickiness: StickinessConfig;
} {
  const reject = (why: string) => awsError('ValidationError', `simulated ALB refuses the default actions: ${why}`);
  const [action] = actions ?? [];
  if (actions?.length !== 1 || action === undefined) throw reject('exactly one default action is modelled');
  if (action.Type !== 'forward') throw reject(`action type '${action.Type ?? 'none'}' is not modelled`);
  const config = action.ForwardConfig;
  const groups = config?.TargetGroups ?? [];
  if (config === undefined || groups.length !== 2) {
    throw reject('the forward must carry a ForwardConfig with both target groups of the pair');
  }
  if (action.TargetGroupArn !== undefined) throw reject('TargetGroupArn and ForwardConfig together are not modelled');
  const weightOf = (arn: string): number => {
    const matching = groups.filter((group) => group.TargetGroupArn === arn);
    const [group] = matching;
    if (matching.length !== 1 || group === undefined) throw reject(`target group ${arn} must appear exactly once`);
    const weight = group.Weight;
    if (weight === undefined || !Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) {
      throw reject(`weight ${String(weight)} of ${arn} is not an integer from 0 to ${MAX_WEIGHT}`);
    }
    return weight;
  };
  const blue = weightOf(SIM.blueTargetGroupArn);
  const green = weightOf(SIM.greenTargetGroupArn);
  if (blue + green === 0) throw reject('at least one target group needs a weight above 0');
  const stickiness = config.TargetGroupStickinessConfig;
  if (stickiness === undefined) throw reject('TargetGroupStickinessConfig must be sent (the listener has one)');
  const duration = stickiness.DurationSeconds;
  if (stickiness.Enabled === true && (duration === undefined || duration < 1 || duration > 604800)) {
    throw reject('stickiness needs a duration of 1-604800 s');
  }
  if (duration !== undefined && (duration < 1 || duration > 604800)) {
    throw reject(`a stickiness duration of ${duration} s is invalid even with stickiness off`);
  }
  return { blue, green, stickiness: { ...stickiness } };
}
