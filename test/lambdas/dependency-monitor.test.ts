import { describe, expect, it } from 'vitest';
import type { DependencyStatus } from '../../lambdas/shared/contracts';
import { buildDependencyMatrix, createDependencyMonitor } from '../../lambdas/tools/dependency-monitor';

const CHECKED_AT = '2026-11-24T10:00:00.000Z';

function row(overrides: Partial<DependencyStatus> & Pick<DependencyStatus, 'name'>): DependencyStatus {
  return {
    kind: 'external-dependency',
    url: `https://${overrides.name}.example.com/health`,
    critical: true,
    status: 'UP',
    expectedStatus: 200,
    httpStatus: 200,
    latencyMs: 12,
    attempts: 1,
    ...overrides,
  };
}

describe('buildDependencyMatrix', () => {
  it('is healthy with no warnings when every row is UP', () => {
    // Prepare
    const entries = [row({ name: 'api', kind: 'health-endpoint' }), row({ name: 'payments' })];

    // Act
    const matrix = buildDependencyMatrix(entries, CHECKED_AT);

    // Assess
    expect(matrix).toEqual({ checkedAt: CHECKED_AT, healthy: true, entries, warnings: [] });
  });

  it('is unhealthy when a critical row is DOWN, and does not turn it into a warning', () => {
    // Prepare
    const entries = [
      row({ name: 'api', kind: 'health-endpoint' }),
      row({ name: 'payments', status: 'DOWN', httpStatus: 503, attempts: 3, error: 'HTTP 503, expected 200' }),
    ];

    // Act
    const matrix = buildDependencyMatrix(entries, CHECKED_AT);

    // Assess
    expect(matrix.healthy).toBe(false);
    expect(matrix.warnings).toEqual([]);
    expect(matrix.entries).toBe(entries);
  });

  it('stays healthy when only non-critical rows are DOWN, with one warning per such row naming it and why', () => {
    // Prepare
    const entries = [
      row({ name: 'api', kind: 'health-endpoint' }),
      row({
        name: 'search',
        critical: false,
        status: 'DOWN',
        httpStatus: null,
        latencyMs: 3001,
        attempts: 3,
        error: 'timed out after 3000 ms',
      }),
      row({ name: 'geo', critical: false, status: 'DOWN', httpStatus: 500, latencyMs: 40 }),
      row({ name: 'mail', critical: false }),
    ];

    // Act
    const matrix = buildDependencyMatrix(entries, CHECKED_AT);

    // Assess
    expect(matrix.healthy).toBe(true);
    expect(matrix.warnings).toEqual([
      "non-critical dependency 'search' is DOWN: timed out after 3000 ms (3001 ms, 3 attempts)",
      "non-critical dependency 'geo' is DOWN: HTTP 500, expected 200 (40 ms, 1 attempt)",
    ]);
  });

  it('is unhealthy when a (critical) health endpoint is DOWN', () => {
    // Prepare
    const entries = [row({ name: 'api', kind: 'health-endpoint', status: 'DOWN', httpStatus: 502 })];

    // Act
    const matrix = buildDependencyMatrix(entries, CHECKED_AT);

    // Assess
    expect(matrix.healthy).toBe(false);
  });
});

describe('createDependencyMonitor', () => {
  it('checks endpoints (always critical) and dependencies (critical flag) in parallel and builds the matrix', async () => {
    // Prepare
    const statusByHost: Record<string, number> = { 'api.test': 200, 'payments.test': 200, 'search.test': 503 };
    const inFlight = { now: 0, max: 0 };
    const fetchImpl = async (url: string) => {
      inFlight.now++;
      inFlight.max = Math.max(inFlight.max, inFlight.now);
      await new Promise((resolve) => setTimeout(resolve, 20));
      inFlight.now--;
      return new Response(null, { status: statusByHost[new URL(url).host] ?? 404 });
    };
    const monitor = createDependencyMonitor(
      {
        endpoints: [{ name: 'api', url: 'http://api.test/health', expectedStatus: 200, timeoutMs: 500 }],
        dependencies: [
          { name: 'payments', url: 'http://payments.test/ping', expectedStatus: 200, timeoutMs: 500, critical: true },
          { name: 'search', url: 'http://search.test/ping', expectedStatus: 200, timeoutMs: 500, critical: false },
        ],
        retries: 1,
      },
      { minBackoffMs: 1, fetchImpl, clock: () => new Date(CHECKED_AT) },
    );

    // Act
    const matrix = await monitor.check();

    // Assess
    expect(inFlight.max).toBe(3);
    expect(matrix.checkedAt).toBe(CHECKED_AT);
    expect(matrix.healthy).toBe(true);
    expect(
      matrix.entries.map(({ name, kind, critical, status, httpStatus, attempts }) => ({
        name,
        kind,
        critical,
        status,
        httpStatus,
        attempts,
      })),
    ).toEqual([
      { name: 'api', kind: 'health-endpoint', critical: true, status: 'UP', httpStatus: 200, attempts: 1 },
      { name: 'payments', kind: 'external-dependency', critical: true, status: 'UP', httpStatus: 200, attempts: 1 },
      { name: 'search', kind: 'external-dependency', critical: false, status: 'DOWN', httpStatus: 503, attempts: 2 },
    ]);
    expect(matrix.warnings).toHaveLength(1);
    expect(matrix.warnings[0]).toMatch(/^non-critical dependency 'search' is DOWN: HTTP 503, expected 200/);
  });

  it('reports unhealthy when a health endpoint fails', async () => {
    // Prepare
    const monitor = createDependencyMonitor(
      {
        endpoints: [{ name: 'api', url: 'http://api.test/health', expectedStatus: 200, timeoutMs: 500 }],
        dependencies: [],
        retries: 0,
      },
      { minBackoffMs: 1, fetchImpl: async () => new Response(null, { status: 500 }) },
    );

    // Act
    const matrix = await monitor.check();

    // Assess
    expect(matrix.healthy).toBe(false);
    expect(matrix.entries[0]).toMatchObject({
      name: 'api',
      status: 'DOWN',
      httpStatus: 500,
      error: 'HTTP 500, expected 200',
    });
  });
});
