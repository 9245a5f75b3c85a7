import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { resolvePostDeployment } from '../../lib/config/resolve-config';
import type { PostDeploymentSettings } from '../../lib/deployment-crew-props';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/smoke-login-AbC123';

const settings = (overrides: Partial<PostDeploymentSettings> = {}): PostDeploymentSettings => ({
  smokeSuite: [
    {
      name: 'login',
      flow: 'authentication',
      path: '/api/login',
      secretHeaders: { authorization: { secretArn: SECRET } },
    },
    { name: 'orders', flow: 'crud', path: '/api/orders', secretHeaders: { 'x-key': { secretArn: SECRET } } },
  ],
  productionUrl: 'https://shop.example.com',
  ...overrides,
});

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
