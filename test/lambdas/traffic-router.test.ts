import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
  ModifyListenerCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Side, Sides } from '../../lambdas/shared/cutover-contracts';
import { createTrafficRouter } from '../../lambdas/tools/traffic-router';
import { crewRejection } from '../support/errors';

const NOW = new Date('2026-11-24T10:05:00.000Z');
const clock = () => NOW;
const PREFIX = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const LISTENER = `${PREFIX}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const BLUE_TG = `${PREFIX}:targetgroup/shop-blue/73e2d6bc24d8a067`;
const GREEN_TG = `${PREFIX}:targetgroup/shop-green/8a067e2d6bc24d73`;
const OTHER_TG = `${PREFIX}:targetgroup/shop-legacy/0123456789abcdef`;

const BLUE: Side = { targetGroupArn: BLUE_TG, serviceName: 'shop-blue' };
const GREEN: Side = { targetGroupArn: GREEN_TG, serviceName: 'shop-green' };
const PAIR = [BLUE, GREEN] as const;

const sides: Sides = {
  live: BLUE,
  green: GREEN,
  stickiness: { enabled: true, durationSeconds: 3600 },
  resolvedAt: NOW.toISOString(),
};

const elb = mockClient(ElasticLoadBalancingV2Client);
const client = new ElasticLoadBalancingV2Client({ region: 'eu-west-1' });
/** The waits between confirming re-reads, recorded instead of slept. */
const sleeps: number[] = [];
const router = createTrafficRouter(client, LISTENER, {
  clock,
  sleep: async (ms) => {
    sleeps.push(ms);
  },
});

function forward(
  blue: number | undefined,
  green: number | undefined,
  stickiness?: Action['ForwardConfig'],
  order: 'blue-first' | 'green-first' = 'blue-first',
): Action {
  const blueGroup = blue === undefined ? [] : [{ TargetGroupArn: BLUE_TG, Weight: blue }];
  const greenGroup = green === undefined ? [] : [{ TargetGroupArn: GREEN_TG, Weight: green }];
  const groups = order === 'blue-first' ? [...blueGroup, ...greenGroup] : [...greenGroup, ...blueGroup];
  return {
    Type: 'forward',
    ForwardConfig: { TargetGroups: groups, ...stickiness },
  };
}

const STICKY = { TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 } };

function listenerWith(actions: Action[], rules: Rule[] = []): void {
  elb
    .on(DescribeListenersCommand, { ListenerArns: [LISTENER] })
    .resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: actions }] });
  elb
    .on(DescribeRulesCommand)
    .resolves({ Rules: [{ RuleArn: `${LISTENER}/default`, IsDefault: true, Actions: actions }, ...rules] });
}

/** A listener that remembers what ModifyListener sent, the way ALB does. */
function liveListener(initial: Action[]): { current: () => Action[] } {
  let actions = initial;
  elb
    .on(DescribeListenersCommand)
    .callsFake(() => ({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: actions }] }));
  elb.on(ModifyListenerCommand).callsFake((input: { DefaultActions?: Action[] }) => {
    actions = input.DefaultActions ?? [];
    return { Listeners: [{ ListenerArn: LISTENER, DefaultActions: actions }] };
  });
  return { current: () => actions };
}

function modifyInputs() {
  return elb.commandCalls(ModifyListenerCommand).map((call) => call.args[0].input);
}

beforeEach(() => {
  elb.reset();
  sleeps.length = 0;
});

describe('createTrafficRouter', () => {
  it('refuses a listener ARN that is not an ALB listener', () => {
    // Prepare
    const arn = `${PREFIX}:listener/net/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;

    // Act
    const create = () => createTrafficRouter(client, arn);

    // Assess
    expect(create).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
  });
});

describe('readForward', () => {
  it('reads weights and stickiness of a weighted forward', async () => {
    // Prepare
    listenerWith([forward(80, 20, STICKY)]);

    // Act
    const state = await router.readForward();

    // Assess
    expect(state).toEqual({
      weights: [
        { targetGroupArn: BLUE_TG, weight: 80 },
        { targetGroupArn: GREEN_TG, weight: 20 },
      ],
      stickiness: { enabled: true, durationSeconds: 3600 },
    });
    expect(elb.commandCalls(DescribeListenersCommand)[0]?.args[0].input).toEqual({ ListenerArns: [LISTENER] });
  });

  it('reads a legacy single TargetGroupArn forward as weight 1 on that group', async () => {
    // Prepare
    listenerWith([{ Type: 'forward', TargetGroupArn: BLUE_TG }]);

    // Act
    const state = await router.readForward();

    // Assess
    expect(state).toEqual({ weights: [{ targetGroupArn: BLUE_TG, weight: 1 }], stickiness: null });
  });

  it.each<[string, Action[]]>([
    ['redirect', [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }]],
    ['fixed-response', [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }]],
    [
      'authenticate then forward',
      [
        { Type: 'authenticate-oidc', Order: 1 },
        { ...forward(100, 0), Order: 2 },
      ],
    ],
    ['no action', []],
    ['forward without groups', [{ Type: 'forward', ForwardConfig: { TargetGroups: [] } }]],
  ])('refuses a listener whose default action is %s', async (_, actions) => {
    // Prepare
    listenerWith(actions);

    // Act
    const error = await crewRejection(router.readForward());

    // Assess
    expect(error.name).toBe('ListenerNotSupported');
    expect(error.message).toContain(LISTENER);
  });

  it('turns a missing listener into a configuration error', async () => {
    // Prepare
    elb
      .on(DescribeListenersCommand)
      .rejects(new ListenerNotFoundException({ message: 'not found', $metadata: { httpStatusCode: 400 } }));

    // Act
    const error = await crewRejection(router.readForward());

    // Assess
    expect(error.name).toBe('ConfigurationError');
    expect(error.message).toContain(LISTENER);
  });
});

describe('resolveSides', () => {
  it.each<[string, Action[], Side, Side]>([
    ['blue at 100, green at 0', [forward(100, 0)], BLUE, GREEN],
    ['blue at 0, green at 100', [forward(0, 100)], GREEN, BLUE],
    ['blue at 999 (any positive weight)', [forward(999, 0)], BLUE, GREEN],
    ['green listed first', [forward(0, 100, undefined, 'green-first')], GREEN, BLUE],
  ])('with %s resolves the live and green sides', async (_, actions, live, green) => {
    // Prepare
    listenerWith(actions);

    // Act
    const resolved = await router.resolveSides(PAIR);

    // Assess
    expect(resolved).toEqual({ live, green, stickiness: null, resolvedAt: NOW.toISOString() });
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('carries the listener stickiness into the sides', async () => {
    // Prepare
    listenerWith([forward(100, 0, STICKY)]);

    // Act
    const resolved = await router.resolveSides(PAIR);

    // Assess
    expect(resolved.stickiness).toEqual({ enabled: true, durationSeconds: 3600 });
  });

  it('refuses a split listener (90/10) before changing anything, naming the weights', async () => {
    // Prepare
    listenerWith([forward(90, 10)]);

    // Act
    const error = await crewRejection(router.resolveSides(PAIR));

    // Assess
    expect(error.name).toBe('ListenerNotSteady');
    expect(error.message).toContain(`${BLUE_TG}=90`);
    expect(error.message).toContain(`${GREEN_TG}=10`);
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('refuses a listener where both sides have weight 0', async () => {
    // Prepare
    listenerWith([forward(0, 0)]);

    // Act
    const error = await crewRejection(router.resolveSides(PAIR));

    // Assess
    expect(error.name).toBe('ListenerNotSteady');
    expect(error.message).toContain('no target group carries traffic');
  });

  it.each<[string, Action, string]>([
    ['a plain TargetGroupArn forward to blue', { Type: 'forward', TargetGroupArn: BLUE_TG }, BLUE_TG],
    ['a plain TargetGroupArn forward to a third group', { Type: 'forward', TargetGroupArn: OTHER_TG }, OTHER_TG],
    ['a ForwardConfig with green alone', forward(undefined, 100), GREEN_TG],
    [
      'a ForwardConfig with blue and a third group at weight 0',
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: BLUE_TG, Weight: 100 },
            { TargetGroupArn: OTHER_TG, Weight: 0 },
          ],
        },
      },
      OTHER_TG,
    ],
    [
      'a ForwardConfig with the pair and a third group',
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: BLUE_TG, Weight: 100 },
            { TargetGroupArn: GREEN_TG, Weight: 0 },
            { TargetGroupArn: OTHER_TG, Weight: 0 },
          ],
        },
      },
      OTHER_TG,
    ],
  ])('refuses %s as not blue-green, saying what it found and what it expects', async (_, action, found) => {
    // Prepare
    listenerWith([action]);

    // Act
    const error = await crewRejection(router.resolveSides(PAIR));

    // Assess
    expect(error.name).toBe('ListenerNotBlueGreen');
    expect(error.message).toContain(LISTENER);
    expect(error.message).toContain(found);
    expect(error.message).toContain(`exactly the two target groups ${BLUE_TG} and ${GREEN_TG}`);
    expect(elb.commandCalls(DescribeRulesCommand)).toHaveLength(0);
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('refuses a listener whose default action is not a forward', async () => {
    // Prepare
    listenerWith([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }]);

    // Act
    const error = await crewRejection(router.resolveSides(PAIR));

    // Assess
    expect(error.name).toBe('ListenerNotSupported');
  });

  it('refuses a listener with a rule that forwards to one of the pair', async () => {
    // Prepare
    const rule: Rule = {
      RuleArn: `${LISTENER}/api`,
      Priority: '10',
      IsDefault: false,
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: BLUE_TG, Weight: 1 }] } }],
    };
    listenerWith([forward(100, 0)], [rule]);

    // Act
    const error = await crewRejection(router.resolveSides(PAIR));

    // Assess
    expect(error.name).toBe('ListenerNotSupported');
    expect(error.message).toContain(`${LISTENER}/api (priority 10)`);
  });

  it('accepts rules that route elsewhere, reading every page of rules', async () => {
    // Prepare
    listenerWith([forward(100, 0)]);
    elb
      .on(DescribeRulesCommand, { ListenerArn: LISTENER })
      .resolves({
        Rules: [{ RuleArn: `${LISTENER}/legacy`, IsDefault: false, Actions: [forward(undefined, undefined)] }],
        NextMarker: 'page-2',
      })
      .on(DescribeRulesCommand, { ListenerArn: LISTENER, Marker: 'page-2' })
      .resolves({
        Rules: [
          { RuleArn: `${LISTENER}/old`, IsDefault: false, Actions: [{ Type: 'forward', TargetGroupArn: OTHER_TG }] },
        ],
      });

    // Act
    const resolved = await router.resolveSides(PAIR);

    // Assess
    expect(resolved.live).toEqual(BLUE);
    expect(elb.commandCalls(DescribeRulesCommand).map((call) => call.args[0].input)).toEqual([
      { ListenerArn: LISTENER },
      { ListenerArn: LISTENER, Marker: 'page-2' },
    ]);
  });

  it('needs exactly two distinct configured sides', async () => {
    // Prepare
    listenerWith([forward(100, 0)]);

    // Act
    const one = await crewRejection(router.resolveSides([BLUE]));
    const same = await crewRejection(router.resolveSides([BLUE, { ...GREEN, targetGroupArn: BLUE_TG }]));

    // Assess
    expect(one.name).toBe('ConfigurationError');
    expect(same.name).toBe('ConfigurationError');
  });
});

describe('setGreenWeight', () => {
  it('sends the complete forward action with the stickiness of the sides', async () => {
    // Prepare
    elb.on(ModifyListenerCommand).resolves({});

    // Act
    const weights = await router.setGreenWeight(sides, 10);

    // Assess
    expect(weights).toEqual({ live: 90, green: 10 });
    expect(modifyInputs()).toStrictEqual([
      {
        ListenerArn: LISTENER,
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: BLUE_TG, Weight: 90 },
                { TargetGroupArn: GREEN_TG, Weight: 10 },
              ],
              TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
            },
          },
        ],
      },
    ]);
  });

  it('puts green first when green is the live side', async () => {
    // Prepare
    elb.on(ModifyListenerCommand).resolves({});
    const swapped: Sides = { ...sides, live: GREEN, green: BLUE };

    // Act
    await router.setGreenWeight(swapped, 25);

    // Assess
    expect(modifyInputs()[0]?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups).toStrictEqual([
      { TargetGroupArn: GREEN_TG, Weight: 75 },
      { TargetGroupArn: BLUE_TG, Weight: 25 },
    ]);
  });

  it.each<[string, Sides['stickiness'], object]>([
    ['no stickiness', null, { Enabled: false }],
    ['stickiness off without a duration', { enabled: false, durationSeconds: 0 }, { Enabled: false }],
    [
      'stickiness off with a duration',
      { enabled: false, durationSeconds: 300 },
      { Enabled: false, DurationSeconds: 300 },
    ],
  ])('with %s sends stickiness explicitly', async (_, stickiness, expected) => {
    // Prepare
    elb.on(ModifyListenerCommand).resolves({});

    // Act
    await router.setGreenWeight({ ...sides, stickiness }, 50);

    // Assess
    expect(modifyInputs()[0]?.DefaultActions?.[0]?.ForwardConfig?.TargetGroupStickinessConfig).toStrictEqual(expected);
  });

  it.each([-1, 101, 12.5, Number.NaN])('refuses green weight %s without calling ALB', async (weight) => {
    // Prepare
    elb.on(ModifyListenerCommand).resolves({});

    // Act
    const error = await crewRejection(router.setGreenWeight(sides, weight));

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(modifyInputs()).toHaveLength(0);
  });

  it('refuses sides where live and green are the same group', async () => {
    // Prepare
    elb.on(ModifyListenerCommand).resolves({});

    // Act
    const error = await crewRejection(
      router.setGreenWeight({ ...sides, green: { ...GREEN, targetGroupArn: BLUE_TG } }, 10),
    );

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(modifyInputs()).toHaveLength(0);
  });
});

describe('confirmWeights', () => {
  it('confirms weights that took effect', async () => {
    // Prepare
    listenerWith([forward(90, 10, STICKY)]);

    // Act
    const result = await router.confirmWeights(sides, 10);

    // Assess
    expect(result).toEqual({ confirmedAt: NOW.toISOString() });
  });

  it('confirms the same share at a different scale (900/100 is 10 %)', async () => {
    // Prepare
    listenerWith([forward(900, 100)]);

    // Act
    const result = await router.confirmWeights(sides, 10);

    // Assess
    expect(result.confirmedAt).toBe(NOW.toISOString());
  });

  it('reports a mismatch with the actual weights', async () => {
    // Prepare
    listenerWith([forward(100, 0, STICKY)]);

    // Act
    const error = await crewRejection(router.confirmWeights(sides, 10));

    // Assess
    expect(error.name).toBe('TrafficShiftNotConfirmed');
    expect(error.message).toContain(`${BLUE_TG}=100`);
    expect(error.message).toContain(`${GREEN_TG}=0`);
    expect(error.message).toContain('expected 10 %');
    expect(error.message).toContain('after 5 reads');
  });

  it('re-reads after one stale read (DescribeListeners is eventually consistent) and confirms', async () => {
    // Prepare
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward(100, 0, STICKY)] }] })
      .resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward(90, 10, STICKY)] }] });

    // Act
    const result = await router.confirmWeights(sides, 10);

    // Assess
    expect(result).toEqual({ confirmedAt: NOW.toISOString() });
    expect(elb.commandCalls(DescribeListenersCommand)).toHaveLength(2);
    expect(sleeps).toEqual([250]);
  });

  it('gives up with TrafficShiftNotConfirmed after 5 reads, backing off 250 ms doubling up to 2 s', async () => {
    // Prepare
    listenerWith([forward(100, 0, STICKY)]);

    // Act
    const error = await crewRejection(router.confirmWeights(sides, 10));

    // Assess
    expect(error.name).toBe('TrafficShiftNotConfirmed');
    expect(elb.commandCalls(DescribeListenersCommand)).toHaveLength(5);
    expect(sleeps).toEqual([250, 500, 1000, 2000]);
  });

  it('does not re-read when the listener cannot be read at all', async () => {
    // Prepare
    listenerWith([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }]);

    // Act
    const error = await crewRejection(router.confirmWeights(sides, 10));

    // Assess
    expect(error.name).toBe('ListenerNotSupported');
    expect(elb.commandCalls(DescribeListenersCommand)).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('reports traffic to a group outside the pair', async () => {
    // Prepare
    listenerWith([{ Type: 'forward', TargetGroupArn: OTHER_TG }]);

    // Act
    const error = await crewRejection(router.confirmWeights(sides, 0));

    // Assess
    expect(error.name).toBe('TrafficShiftNotConfirmed');
    expect(error.message).toContain(OTHER_TG);
  });
});

describe('restoreLive', () => {
  it('sets live to 100 and green to 0, then confirms it', async () => {
    // Prepare
    const listener = liveListener([forward(50, 50, STICKY)]);

    // Act
    const result = await router.restoreLive(sides);

    // Assess
    expect(result).toEqual({ restoredAt: NOW.toISOString(), confirmedAt: NOW.toISOString() });
    expect(listener.current()).toStrictEqual([
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: BLUE_TG, Weight: 100 },
            { TargetGroupArn: GREEN_TG, Weight: 0 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 3600 },
        },
      },
    ]);
  });

  it('is idempotent: a second rollback writes the same action again and succeeds', async () => {
    // Prepare
    liveListener([forward(90, 10, STICKY)]);

    // Act
    const first = await router.restoreLive(sides);
    const second = await router.restoreLive(sides);

    // Assess
    expect(second).toEqual(first);
    const [one, two] = modifyInputs();
    expect(modifyInputs()).toHaveLength(2);
    expect(two).toStrictEqual(one);
  });

  it('confirms the rollback through a stale first read', async () => {
    // Prepare
    elb.on(ModifyListenerCommand).resolves({});
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward(90, 10, STICKY)] }] })
      .resolves({ Listeners: [{ ListenerArn: LISTENER, DefaultActions: [forward(100, 0, STICKY)] }] });

    // Act
    const result = await router.restoreLive(sides);

    // Assess
    expect(result.confirmedAt).toBe(NOW.toISOString());
    expect(modifyInputs()).toHaveLength(1);
    expect(elb.commandCalls(DescribeListenersCommand)).toHaveLength(2);
  });

  it('fails when the listener does not show the restored weights', async () => {
    // Prepare
    elb.on(ModifyListenerCommand).resolves({});
    listenerWith([forward(90, 10)]);

    // Act
    const error = await crewRejection(router.restoreLive(sides));

    // Assess
    expect(error.name).toBe('TrafficShiftNotConfirmed');
    expect(error.message).toContain(`${GREEN_TG}=10`);
  });
});

describe('targetHealth', () => {
  it('counts targets by state and keeps each target with its reason', async () => {
    // Prepare
    elb.on(DescribeTargetHealthCommand, { TargetGroupArn: GREEN_TG }).resolves({
      TargetHealthDescriptions: [
        { Target: { Id: '10.0.1.10', Port: 8080 }, TargetHealth: { State: 'healthy' } },
        { Target: { Id: '10.0.1.11', Port: 8080 }, TargetHealth: { State: 'healthy' } },
        {
          Target: { Id: '10.0.1.12', Port: 8080 },
          TargetHealth: { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch', Description: 'got 500' },
        },
        { Target: { Id: '10.0.1.13', Port: 8080 }, TargetHealth: { State: 'unavailable' } },
        {
          Target: { Id: '10.0.1.14', Port: 8080 },
          TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress' },
        },
        { Target: { Id: '10.0.1.15', Port: 8080 }, TargetHealth: { State: 'unhealthy.draining' } },
        {
          Target: { Id: '10.0.1.16', Port: 8080 },
          TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress' },
        },
      ],
    });

    // Act
    const health = await router.targetHealth(GREEN_TG);

    // Assess
    expect(health).toMatchObject({ total: 7, healthy: 2, unhealthy: 2, draining: 2 });
    expect(health.states[2]).toEqual({
      id: '10.0.1.12',
      port: 8080,
      state: 'unhealthy',
      reason: 'Target.ResponseCodeMismatch',
      description: 'got 500',
    });
    expect(health.states[0]).toEqual({ id: '10.0.1.10', port: 8080, state: 'healthy' });
    expect(health.states[6]).toMatchObject({ state: 'initial', reason: 'Elb.RegistrationInProgress' });
  });

  it('reports an empty target group as zero targets', async () => {
    // Prepare
    elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });

    // Act
    const health = await router.targetHealth(GREEN_TG);

    // Assess
    expect(health).toEqual({ total: 0, healthy: 0, unhealthy: 0, draining: 0, states: [] });
  });
});
