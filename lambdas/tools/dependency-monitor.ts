import type { DependencyKind, DependencyMatrix, DependencyStatus } from '../shared/contracts';
import { checkHttp, type FetchLike, type HttpCheckResult, type HttpCheckTarget } from './health-check';

/**
 * dependency_monitor_tool: checks the production health endpoints (always critical) and the external dependencies
 * (critical unless configured otherwise) in parallel, and turns the results into the dependency status matrix.
 */

export interface DependencyTarget extends HttpCheckTarget {
  readonly critical: boolean;
}

export interface DependencyMonitorConfig {
  readonly endpoints: readonly HttpCheckTarget[];
  readonly dependencies: readonly DependencyTarget[];
  /** Extra attempts per target after a failed one. */
  readonly retries: number;
}

export interface DependencyMonitorOptions {
  /** Delay before the first retry of a target (doubles per retry). Defaults to {@link DEFAULT_MIN_BACKOFF_MS}. */
  readonly minBackoffMs?: number;
  readonly fetchImpl?: FetchLike;
  readonly clock?: () => Date;
}

export interface DependencyMonitor {
  check(): Promise<DependencyMatrix>;
}

export const DEFAULT_MIN_BACKOFF_MS = 250;

export function createDependencyMonitor(
  config: DependencyMonitorConfig,
  options: DependencyMonitorOptions = {},
): DependencyMonitor {
  const clock = options.clock ?? (() => new Date());
  const checkOptions = {
    retries: config.retries,
    minBackoffMs: options.minBackoffMs ?? DEFAULT_MIN_BACKOFF_MS,
    ...(options.fetchImpl === undefined ? {} : { fetchImpl: options.fetchImpl }),
  };
  const rows: { target: HttpCheckTarget; kind: DependencyKind; critical: boolean }[] = [
    ...config.endpoints.map((target) => ({ target, kind: 'health-endpoint' as const, critical: true })),
    ...config.dependencies.map((target) => ({
      target,
      kind: 'external-dependency' as const,
      critical: target.critical,
    })),
  ];

  return {
    async check() {
      const statuses = await Promise.all(
        rows.map(async ({ target, kind, critical }) =>
          toDependencyStatus(target, kind, critical, await checkHttp(target, checkOptions)),
        ),
      );
      return buildDependencyMatrix(statuses, clock().toISOString());
    },
  };
}

export function toDependencyStatus(
  target: HttpCheckTarget,
  kind: DependencyKind,
  critical: boolean,
  result: HttpCheckResult,
): DependencyStatus {
  return {
    name: target.name,
    kind,
    url: target.url,
    critical,
    status: result.ok ? 'UP' : 'DOWN',
    expectedStatus: target.expectedStatus,
    httpStatus: result.httpStatus,
    latencyMs: result.latencyMs,
    attempts: result.attempts,
    ...(result.error === undefined ? {} : { error: result.error }),
  };
}

/** Pure: healthy unless a critical row is DOWN; every non-critical DOWN row becomes a warning. */
export function buildDependencyMatrix(entries: readonly DependencyStatus[], checkedAt: string): DependencyMatrix {
  return {
    checkedAt,
    healthy: entries.every((entry) => !entry.critical || entry.status === 'UP'),
    entries,
    warnings: entries.filter((entry) => !entry.critical && entry.status === 'DOWN').map(describeDownEntry),
  };
}

/** Why a row is DOWN, in one line, e.g. `HTTP 503, expected 200`. */
export function describeFailure(entry: DependencyStatus): string {
  if (entry.error !== undefined) return entry.error;
  if (entry.httpStatus === null) return 'no response';
  return `HTTP ${entry.httpStatus}, expected ${entry.expectedStatus}`;
}

function describeDownEntry(entry: DependencyStatus): string {
  const tries = entry.attempts === 1 ? '1 attempt' : `${entry.attempts} attempts`;
  return `non-critical dependency '${entry.name}' is DOWN: ${describeFailure(entry)} (${entry.latencyMs} ms, ${tries})`;
}
