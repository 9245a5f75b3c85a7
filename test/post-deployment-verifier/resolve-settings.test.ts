import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { resolveConfig, resolvePostDeployment } from '../../lib/config/resolve-config';
import { parseContextConfig } from '../../lib/context-config';
import type { PostDeploymentSettings } from '../../lib/deployment-crew-props';
import { sampleContext } from '../support/sample-stack';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/smoke-login-AbC123';

const settings = (overrides: Partial<PostDeploymentSettings> = {}): PostDeploymentSettings => ({
  smokeSuite: [
    {
      name: 'login',
      flow: 'authentication',
      path: '/api/login',
      secretHeaders: { authorization: { secretArn: SECRET } },
    },
    {
      name: 'orders',
      flow: 'crud',
      path: '/api/orders',
      secretHeaders: { 'x-key': { secretArn: SECRET } },
      probe: true,
    },
  ],
  productionUrl: 'https://shop.example.com',
  ...overrides,
});

/** A suite of one probe step with this latency ceiling. */
const probeSuite = (maxLatencyMs: number): PostDeploymentSettings['smokeSuite'] => [
  { name: 'products', flow: 'crud', path: '/api/products', maxLatencyMs, probe: true },
];

describe('resolvePostDeployment', () => {
  it('applies the defaults and lists each secret once', () => {
    // Act
    const resolved = resolvePostDeployment(settings());

    // Assess
    expect(resolved).toMatchObject({
      testListenerUrl: null,
      greenHeaders: {},
      logGroupNames: [],
      logsRecentWithinMinutes: 60,
      onMissingMonitoring: 'fail',
      minHealthyTargets: 1,
      expectedDesiredCount: 1,
      secretArns: [SECRET],
      suiteWorstCaseSeconds: 4,
      probes: { intervalMs: 5_000, rule: { failures: 3, withinMs: 15_000 } },
      vpc: null,
    });
    expect(resolved.suite[0]).toMatchObject({ method: 'GET', expectedStatus: 200, maxLatencyMs: 2_000 });
  });

  it.each([
    [
      'a suite smokeSuiteSchema refuses (duplicate names)',
      {
        smokeSuite: [
          { name: 'a', flow: 'crud' as const, path: '/' },
          { name: 'a', flow: 'crud' as const, path: '/x' },
        ],
      },
      /postDeployment\.smokeSuite: .*smoke step names must be unique/,
    ],
    [
      'a step without a leading slash',
      { smokeSuite: [{ name: 'a', flow: 'crud' as const, path: 'api' }] },
      /postDeployment\.smokeSuite: 0\.path/,
    ],
    [
      'a partial secret ARN (no six-character suffix)',
      {
        smokeSuite: [
          {
            name: 'a',
            flow: 'crud' as const,
            path: '/',
            secretHeaders: { k: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop' } },
          },
        ],
      },
      /not a complete Secrets Manager secret ARN/,
    ],
    ['a production URL that is not http(s)', { productionUrl: 'ftp://shop.example.com' }, /productionUrl: .* not http/],
    ['a test listener URL that is no URL', { testListenerUrl: 'green' }, /testListenerUrl: green is not a URL/],
    [
      'a log window under an hour',
      { logsRecentWithin: Duration.minutes(30) },
      /logsRecentWithin: whole minutes, at least 60/,
    ],
    ['no healthy target required', { minHealthyTargets: 0 }, /minHealthyTargets: a whole number, 1 or more/],
    [
      'a suite slower than one function run',
      {
        smokeSuite: Array.from({ length: 27 }, (_, index) => ({
          name: `s${index}`,
          flow: 'crud' as const,
          path: '/',
          maxLatencyMs: 30_000,
        })),
      },
      /add up to 810 s; keep them under 780 s/,
    ],
  ])('refuses %s at synth', (_, overrides, message) => {
    // Act
    const resolve = () => resolvePostDeployment(settings(overrides));

    // Assess
    expect(resolve).toThrow(message);
  });
});

describe('resolvePostDeployment: probes', () => {
  it('takes the probe timing from the settings', () => {
    // Act
    const resolved = resolvePostDeployment(
      settings({
        smokeSuite: probeSuite(1_000),
        probes: { interval: Duration.seconds(2), failuresToRollback: 5, detectWithin: Duration.seconds(9) },
      }),
    );

    // Assess: 4 rounds 2 s apart and a 1 s ceiling decide within 9 s, the goal exactly.
    expect(resolved.probes).toEqual({ intervalMs: 2_000, rule: { failures: 5, withinMs: 9_000 } });
  });

  it.each([
    ['an interval of 1 s', { interval: Duration.seconds(1) }],
    ['a single failure', { failuresToRollback: 1 }],
    ['ten failures, given the time to see them', { failuresToRollback: 10, detectWithin: Duration.seconds(47) }],
  ])('accepts %s, a bound of the allowed range', (_, probes) => {
    // Act
    const resolve = () => resolvePostDeployment(settings({ smokeSuite: probeSuite(2_000), probes }));

    // Assess
    expect(resolve).not.toThrow();
  });

  it.each([
    [
      'an interval under 1 s',
      { interval: Duration.millis(999) },
      /postDeployment\.probes\.interval: .*at least 1000 ms/,
    ],
    [
      'an interval in fractions of a millisecond',
      { interval: Duration.seconds(1.0005) },
      /postDeployment\.probes\.interval: whole milliseconds/,
    ],
    ['no failure at all', { failuresToRollback: 0 }, /postDeployment\.probes\.failuresToRollback: .*1 to 10, got 0/],
    ['eleven failures', { failuresToRollback: 11 }, /postDeployment\.probes\.failuresToRollback: .*1 to 10, got 11/],
    ['a fractional failure count', { failuresToRollback: 2.5 }, /postDeployment\.probes\.failuresToRollback/],
    ['no time to detect', { detectWithin: Duration.seconds(0) }, /postDeployment\.probes\.detectWithin: .*more than 0/],
    [
      // (3 - 1) × 5 s + 2 s = 12 s: one millisecond of goal short.
      'a goal the default timing cannot meet',
      { detectWithin: Duration.millis(11_999) },
      /postDeployment\.probes: probes every 5000 ms with a 2000 ms ceiling decide after up to 12000 ms, more than the 11999 ms goal/,
    ],
  ])('refuses %s', (_, probes, message) => {
    // Act
    const resolve = () => resolvePostDeployment(settings({ smokeSuite: probeSuite(2_000), probes }));

    // Assess
    expect(resolve).toThrow(message);
  });

  it('meets the goal at its edge: 12 s for the default timing and a 2 s ceiling', () => {
    // Act
    const resolve = () =>
      resolvePostDeployment(
        settings({ smokeSuite: probeSuite(2_000), probes: { detectWithin: Duration.seconds(12) } }),
      );

    // Assess
    expect(resolve).not.toThrow();
  });

  it('judges the timing by the slowest probe step, not by the steps that are never probed', () => {
    // Prepare: a slow login (not probed) and a hanging-prone probe step of 8 s.
    const smokeSuite: PostDeploymentSettings['smokeSuite'] = [
      { name: 'login', flow: 'authentication', method: 'POST', path: '/api/login', maxLatencyMs: 30_000 },
      { name: 'products', flow: 'crud', path: '/api/products', maxLatencyMs: 1_000, probe: true },
      { name: 'search', flow: 'crud', path: '/api/search', maxLatencyMs: 8_000, probe: true },
    ];

    // Act
    const resolve = () => resolvePostDeployment(settings({ smokeSuite }));

    // Assess: rounds last the 8 s ceiling when green hangs, (3 - 1) × 8 s + 8 s = 24 s.
    expect(resolve).toThrow(/8000 ms ceiling decide after up to 24000 ms, more than the 15000 ms goal/);
  });

  it('refuses a suite without a probe step, naming the prop and what to do', () => {
    // Act
    const resolve = () =>
      resolvePostDeployment(settings({ smokeSuite: [{ name: 'home', flow: 'crud', path: '/', probe: false }] }));

    // Assess
    expect(resolve).toThrow(/^postDeployment\.smokeSuite: mark at least one step probe: true/);
  });
});

describe('resolveConfig: blueRetention', () => {
  const crew = () => parseContextConfig(sampleContext()).crew;

  it('keeps the old side warm for 60 minutes by default', () => {
    // Prepare
    const { blueRetention: _retention, ...withoutRetention } = crew();

    // Act
    const config = resolveConfig(withoutRetention);

    // Assess
    expect(config.blueRetentionSeconds).toBe(3_600);
  });

  it.each([
    ['one second', Duration.seconds(1), 1],
    ['24 hours', Duration.hours(24), 86_400],
  ])('accepts %s, a bound of the allowed range', (_, blueRetention, seconds) => {
    // Act
    const config = resolveConfig({ ...crew(), blueRetention });

    // Assess
    expect(config.blueRetentionSeconds).toBe(seconds);
  });

  it.each([
    ['no watch at all', Duration.seconds(0)],
    ['more than 24 hours', Duration.seconds(86_401)],
    ['a fraction of a second', Duration.millis(1_500)],
  ])('refuses %s, naming the prop', (_, blueRetention) => {
    // Act
    const resolve = () => resolveConfig({ ...crew(), blueRetention });

    // Assess
    expect(resolve).toThrow('blueRetention: whole seconds, more than 0 and at most 86400 (24 h)');
  });
});
