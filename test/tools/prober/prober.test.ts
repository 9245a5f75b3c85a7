import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smokeSuiteSchema } from '../../../lambdas/shared/smoke-suite';
import { cloudWatchProbePublisher, createProber, type ProbeRound } from '../../../lambdas/tools/prober';
import { createSmokeRunner } from '../../../lambdas/tools/test-execution';

/** Green, over real HTTP: healthy until the test kills it. */
let server: Server;
let baseUrl: string;
let down = false;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (down) {
      // A crashed task: the connection is dropped without an answer.
      request.socket.destroy();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"status":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const SUITE = v.parse(smokeSuiteSchema, [
  { name: 'health', flow: 'integrations', path: '/health', probe: true, maxLatencyMs: 500 },
  { name: 'checkout', flow: 'crud', method: 'POST', path: '/orders', expectedStatus: 201 },
]);

/** Virtual time: sleeping advances it; the green server is real. */
function world(options: { killAfterRounds?: number } = {}) {
  let clock = Date.UTC(2026, 10, 24, 10, 0, 0);
  const published: ProbeRound[] = [];
  let rounds = 0;
  const prober = createProber({
    runner: createSmokeRunner({ secrets: { read: async () => '' } }),
    publisher: {
      publish: async (round) => {
        published.push(round);
        rounds += 1;
        if (rounds === options.killAfterRounds) down = true;
      },
    },
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  });
  return { prober, published, start: clock, now: () => clock };
}

describe('prober against a real HTTP server', () => {
  it('keeps probing a healthy green every 5 s until its time is up, probe steps only', async () => {
    // Prepare
    down = false;
    const { prober, published, start } = world();

    // Act
    const verdict = await prober({ steps: SUITE, target: { baseUrl }, untilMs: start + 30_000 });

    // Assess
    expect(verdict).toEqual({ kind: 'time-up', rounds: 6, failedRounds: 0, publishFailures: 0 });
    expect(published.map((round) => round.at.getTime() - start)).toEqual([0, 5000, 10000, 15000, 20000, 25000]);
  });

  it('calls green down on the third failed probe in a row, 10 s after the first', async () => {
    // Prepare
    down = false;
    const { prober, published, start } = world({ killAfterRounds: 2 });

    // Act
    const verdict = await prober({ steps: SUITE, target: { baseUrl }, untilMs: start + 300_000 });

    // Assess
    expect(verdict.kind).toBe('green-down');
    if (verdict.kind !== 'green-down') return;
    const firstFailure = verdict.failedRun[0]?.at.getTime() ?? 0;
    const lastFailure = verdict.failedRun.at(-1)?.at.getTime() ?? 0;
    expect(lastFailure - firstFailure).toBeLessThanOrEqual(15_000);
    expect(verdict.failedRun).toHaveLength(3);
    expect(verdict.failedRun[0]?.failures.join()).toMatch(/^health: no response/);
    expect(published.map((round) => round.passed)).toEqual([true, true, false, false, false]);
  });

  it('calls a hanging green down even when each round lasts its long latency ceiling', async () => {
    // Prepare
    let clock = Date.UTC(2026, 10, 24, 10, 0, 0);
    const hung = createProber({
      runner: {
        runStep: async (step) => {
          clock += step.maxLatencyMs;
          return {
            ...step,
            status: null,
            latencyMs: step.maxLatencyMs,
            passed: false,
            failures: ['no complete response'],
          };
        },
        runSuite: async () => {
          throw new Error('not used');
        },
      },
      publisher: { publish: async () => {} },
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });
    const slowProbe = SUITE.map((step) => ({ ...step, maxLatencyMs: 8_000 }));

    // Act
    const verdict = await hung({ steps: slowProbe, target: { baseUrl }, untilMs: clock + 300_000 });

    // Assess
    expect(verdict).toMatchObject({ kind: 'green-down', rounds: 3 });
  });

  it('judges the round before publishing it: a metric that cannot be published does not keep green on', async () => {
    // Prepare
    down = true;
    let clock = Date.UTC(2026, 10, 24, 10, 0, 0);
    const prober = createProber({
      runner: createSmokeRunner({ secrets: { read: async () => '' } }),
      publisher: {
        publish: async () => {
          throw new Error('PutMetricData throttled');
        },
      },
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
    });

    // Act
    const verdict = await prober({ steps: SUITE, target: { baseUrl }, untilMs: clock + 300_000 });

    // Assess
    expect(verdict).toMatchObject({ kind: 'green-down', rounds: 3, publishFailures: 3 });
    down = false;
  });

  it('stops when told to (the bake ended)', async () => {
    // Prepare
    down = false;
    const { prober, start } = world();
    let asked = 0;

    // Act
    const verdict = await prober({
      steps: SUITE,
      target: { baseUrl },
      untilMs: start + 300_000,
      shouldStop: async () => {
        asked += 1;
        return asked > 2;
      },
    });

    // Assess
    expect(verdict).toEqual({ kind: 'stopped', rounds: 2, failedRounds: 0, publishFailures: 0 });
  });

  it('refuses a suite without probe steps', async () => {
    // Prepare
    const { prober, start } = world();
    const withoutProbes = SUITE.map((step) => ({ ...step, probe: false }));

    // Act
    const run = prober({ steps: withoutProbes, target: { baseUrl }, untilMs: start + 1000 });

    // Assess
    await expect(run).rejects.toThrow('no smoke step is marked as a probe');
  });
});

describe('cloudWatchProbePublisher', () => {
  it('publishes success and latency at 1-second resolution, by deployment and target group', async () => {
    // Prepare
    const cloudwatch = mockClient(CloudWatchClient);
    cloudwatch.on(PutMetricDataCommand).resolves({});
    const publisher = cloudWatchProbePublisher(new CloudWatchClient({ region: 'eu-west-1' }), {
      deployment: 'rel-1-4-0',
      targetGroup: 'targetgroup/shop-green/8a067e2d6bc24d73',
    });
    const at = new Date('2026-11-24T10:00:05.000Z');

    // Act
    await publisher.publish({ at, passed: false, latencyMs: 812.5, failures: ['health: no response'] });

    // Assess
    const dimensions = [
      { Name: 'Deployment', Value: 'rel-1-4-0' },
      { Name: 'TargetGroup', Value: 'targetgroup/shop-green/8a067e2d6bc24d73' },
    ];
    expect(cloudwatch.commandCalls(PutMetricDataCommand).map((call) => call.args[0].input)).toStrictEqual([
      {
        Namespace: 'DeploymentCrew/Probes',
        MetricData: [
          {
            MetricName: 'ProbeSuccess',
            Dimensions: dimensions,
            Timestamp: at,
            Value: 0,
            Unit: 'Count',
            StorageResolution: 1,
          },
          {
            MetricName: 'ProbeLatency',
            Dimensions: dimensions,
            Timestamp: at,
            Value: 812.5,
            Unit: 'Milliseconds',
            StorageResolution: 1,
          },
        ],
      },
    ]);
    cloudwatch.restore();
  });
});
