import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_CLIENT_CONFIG, awsClientConfig } from '../../lambdas/shared/aws-clients';
import {
  ALARM_LISTENER_SDK_BUDGET,
  ALARM_LISTENER_SDK_LIMITS,
  alarmListenerWorstCaseMs,
} from '../../lambdas/shared/config/rollback-trigger';
import {
  confirmationDelaysMs,
  LISTENER_CONFIRMATION,
  sdkBackoffCapMs,
  worstCaseDurationMs,
} from '../../lambdas/shared/sdk-budget';

describe('sdkBackoffCapMs', () => {
  it.each<[number, number]>([
    [1, 0],
    [2, 1_000 + 5_000],
    [3, 2_000 + 5_000],
    // 1 s × 2^5 = 32 s, capped at the SDK's 20 s.
    [7, 20_000 + 5_000],
  ])('with %i attempts is %i ms (throttling base doubling, 20 s cap, Retry-After extra)', (attempts, expected) => {
    // Act
    const cap = sdkBackoffCapMs(attempts);

    // Assess
    expect(cap).toBe(expected);
  });
});

describe('worstCaseDurationMs', () => {
  it('is calls × attempts × (request timeout + backoff cap), plus the own waits', () => {
    // Prepare
    const limits = { maxAttempts: 2, connectionTimeoutMs: 1_000, requestTimeoutMs: 2_000 };

    // Act
    const worst = worstCaseDurationMs({ calls: 15, limits, ownWaitsMs: 3_750 });

    // Assess
    expect(worst).toBe(15 * 2 * (2_000 + 6_000) + 3_750);
  });

  it('bounds an attempt by the connection timeout when that is the larger one', () => {
    // Act
    const worst = worstCaseDurationMs({
      calls: 1,
      limits: { maxAttempts: 1, connectionTimeoutMs: 5_000, requestTimeoutMs: 2_000 },
    });

    // Assess
    expect(worst).toBe(5_000);
  });

  it.each<[string, Parameters<typeof worstCaseDurationMs>[0]]>([
    ['negative calls', { calls: -1, limits: ALARM_LISTENER_SDK_LIMITS }],
    ['zero attempts', { calls: 1, limits: { ...ALARM_LISTENER_SDK_LIMITS, maxAttempts: 0 } }],
    ['a fractional attempt', { calls: 1, limits: { ...ALARM_LISTENER_SDK_LIMITS, maxAttempts: 1.5 } }],
    ['an infinite timeout', { calls: 1, limits: { ...ALARM_LISTENER_SDK_LIMITS, requestTimeoutMs: Infinity } }],
  ])('refuses %s', (_, budget) => {
    // Act
    const compute = () => worstCaseDurationMs(budget);

    // Assess
    expect(compute).toThrow(/must be/);
  });

  it("gives the alarm listener's worst case from its budget", () => {
    // Act
    const worst = alarmListenerWorstCaseMs();

    // Assess
    expect(ALARM_LISTENER_SDK_BUDGET.ownWaitsMs).toBe(250 + 500 + 1_000 + 2_000);
    expect(worst).toBe(worstCaseDurationMs(ALARM_LISTENER_SDK_BUDGET));
    expect(worst).toBe(16 * 2 * (2_000 + 6_000) + 3_750);
  });
});

describe('confirmationDelaysMs', () => {
  it('waits 250 ms doubling up to 2 s between the 5 reads', () => {
    // Act
    const delays = confirmationDelaysMs(LISTENER_CONFIRMATION);

    // Assess
    expect(delays).toEqual([250, 500, 1_000, 2_000]);
  });

  it('stays at the cap for longer schedules, and has no wait for a single read', () => {
    // Act
    const long = confirmationDelaysMs({ attempts: 7, firstDelayMs: 250, maxDelayMs: 2_000 });
    const single = confirmationDelaysMs({ attempts: 1, firstDelayMs: 250, maxDelayMs: 2_000 });

    // Assess
    expect(long).toEqual([250, 500, 1_000, 2_000, 2_000, 2_000]);
    expect(single).toEqual([]);
  });
});

describe('AWS_CLIENT_CONFIG', () => {
  it("makes every agent's request timeout fail the call, not only warn", () => {
    // Prepare
    // Act
    const { requestHandler } = AWS_CLIENT_CONFIG;

    // Assess
    expect(requestHandler).toEqual({ connectionTimeout: 3_000, requestTimeout: 10_000, throwOnRequestTimeout: true });
  });
});

describe('awsClientConfig against a service that never answers', () => {
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    // Accepts the request and never responds: a hung call.
    server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const client = (config: ConstructorParameters<typeof DynamoDBClient>[0]) =>
    new DynamoDBClient({
      ...config,
      endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

  it('fails the call with TimeoutError once the request timeout has passed', async () => {
    // Prepare
    const bounded = client(awsClientConfig({ maxAttempts: 1, connectionTimeoutMs: 100, requestTimeoutMs: 300 }));
    const started = performance.now();

    // Act
    const error = await bounded.send(new DescribeTableCommand({ TableName: 'any' })).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(performance.now() - started).toBeLessThan(2_000);
    bounded.destroy();
  });

  it('shows why: a requestTimeout alone (no throwOnRequestTimeout) only warns and lets the call hang', async () => {
    // Prepare
    const warnings: unknown[] = [];
    const unbounded = client({
      maxAttempts: 1,
      requestHandler: {
        requestTimeout: 300,
        logger: { ...console, warn: (message: unknown) => warnings.push(message) },
      },
    });
    const abort = new AbortController();

    // Act
    const call = unbounded.send(new DescribeTableCommand({ TableName: 'any' }), { abortSignal: abort.signal });
    const outcome = await Promise.race([
      call.then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1_000)),
    ]);

    // Assess
    expect(outcome).toBe('still waiting');
    expect(String(warnings[0])).toContain('requestTimeout');
    abort.abort();
    await call.catch(() => undefined);
    unbounded.destroy();
  });
});
