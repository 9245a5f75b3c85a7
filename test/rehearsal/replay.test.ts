import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRehearsal } from '../../rehearsal/rehearse';
import { loadReplay, REQUIRED_REPLAY_IDS, ReplayError, replayOptionsOf } from '../../rehearsal/replay';
import type { TrafficAt } from '../../rehearsal/simulated-aws/traffic-model';
import { PROMOTED_WEIGHTS } from '../../rehearsal/workflow-world';

/**
 * Replay: a CloudWatch export drives the traffic model. The shipped examples must be caught by the real pipeline on
 * the trigger they were written for; the mapping is checked minute by minute; a bad export fails with a message
 * that names what is wrong.
 */

const EXAMPLES = join(import.meta.dirname, '../../scenarios/replays');
const INCIDENT_5XX = join(EXAMPLES, '2026-11-17-checkout-5xx.json');
const INCIDENT_P95 = join(EXAMPLES, '2026-11-19-search-p95-creep.json');
const directory = mkdtempSync(join(tmpdir(), 'replay-test-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const MINUTE_ZERO = Date.parse('2026-11-17T14:02:00Z');
const at = (minute: number): TrafficAt => ({ greenWeight: 10, minute });

type Points = readonly (readonly [minute: number, value: number])[];

/** An export as `aws cloudwatch get-metric-data` prints it: timestamps newest first. */
function exportOf(series: Record<string, Points>, extra: Record<string, unknown> = {}) {
  return {
    MetricDataResults: Object.entries(series).map(([Id, points]) => {
      const newestFirst = [...points].sort((a, b) => b[0] - a[0]);
      return {
        Id,
        Label: Id,
        Timestamps: newestFirst.map(([minute]) =>
          new Date(MINUTE_ZERO + minute * 60_000).toISOString().replace('.000Z', '+00:00'),
        ),
        Values: newestFirst.map(([, value]) => value),
        StatusCode: 'Complete',
      };
    }),
    Messages: [],
    ...extra,
  };
}

let files = 0;
function fileOf(content: unknown): string {
  files += 1;
  const file = join(directory, `export-${files}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** Every required series, one healthy minute each, at minute 0. */
const HEALTHY: Record<string, Points> = {
  green_requests: [[0, 1000]],
  green_5xx: [[0, 2]],
  green_conn_errors: [],
  green_p95: [[0, 0.19]],
  lb_requests: [[0, 5000]],
  lb_5xx: [[0, 2]],
  db_connections: [[0, 130]],
};

describe('replay of the shipped examples through the real pipeline', () => {
  it('5xx climbing to 9 % in minute 6: rolled back on ERROR_RATE before green reached 100 %', async () => {
    // Prepare
    const world = replayOptionsOf(INCIDENT_5XX);

    // Act
    const result = await runRehearsal({ world });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    expect(result.rollback).toMatchObject({ type: 'traffic', trigger: 'ERROR_RATE' });
    expect(result.greenWeights).not.toContain(100);
    expect(result.greenWeights.at(-1)).toBe(0);
  });

  it('a slow p95 creep: rolled back on LATENCY by the p95 alarm between two verdicts, their numbers on the timeline', async () => {
    // Prepare
    const world = replayOptionsOf(INCIDENT_P95);

    // Act
    const result = await runRehearsal({ world });

    // Assess
    expect(result).toMatchObject({ status: 'FAILED', error: 'DeploymentRolledBack' });
    expect(result.rollback).toMatchObject({ type: 'traffic', trigger: 'LATENCY' });
    const verdicts = result.timeline.filter((entry) => entry.p95LatencyMs !== null);
    // The p95 alarm, evaluated while WaitForMetrics waits for the 50 % step's data, is first.
    expect(verdicts.at(-1)?.decision).toBe('wait');
    expect(result.timeline.map((entry) => entry.decision)).toContain('rollback: LATENCY → traffic');
    // The creep shows in the verdicts' p95 from one step to the next.
    const p95s = verdicts.map((entry) => entry.p95LatencyMs ?? 0);
    expect(p95s.at(-1)).toBeGreaterThan(p95s[0] ?? Number.POSITIVE_INFINITY);
    // The errors stayed low: it is the latency that was caught.
    expect(Math.max(...verdicts.map((entry) => entry.errorRatePercent ?? 0))).toBeLessThan(1);
  });

  it('a healthy export is promoted: the rollbacks above come from the data, not from replaying', async () => {
    // Prepare
    const healthy = Array.from({ length: 20 }, (_, minute) => minute);
    const world = replayOptionsOf(
      fileOf(
        exportOf({
          green_requests: healthy.map((m) => [m, 5200] as const),
          green_5xx: healthy.map((m) => [m, 9] as const),
          green_conn_errors: [],
          green_p95: healthy.map((m) => [m, 0.19] as const),
          lb_requests: healthy.map((m) => [m, 5200] as const),
          lb_5xx: [[3, 2]],
          db_connections: healthy.map((m) => [m, 140] as const),
        }),
      ),
    );

    // Act
    const result = await runRehearsal({ world });

    // Assess
    expect(result).toMatchObject({ status: 'SUCCEEDED', rollback: null });
    expect(result.greenWeights).toEqual(PROMOTED_WEIGHTS);
  });
});

describe('replayOptionsOf: minute m of the export at virtual minute m', () => {
  it('sorts the newest-first series, converts seconds to ms and holds the last value past the end', () => {
    // Prepare
    const file = fileOf(
      exportOf({
        ...HEALTHY,
        green_requests: [
          [0, 1000],
          [1, 1000],
          [2, 1000],
        ],
        green_5xx: [
          [0, 10],
          [2, 90],
        ],
        green_p95: [
          [0, 0.2],
          [1, 0.35],
          [2, 0.61],
        ],
        db_connections: [
          [-3, 120],
          [0, 130],
          [1, 150],
        ],
      }),
    );

    // Act
    const { traffic } = replayOptionsOf(file);

    // Assess
    expect([0, 1, 2, 3, 60].map((m) => traffic?.greenErrorRatePercent?.(at(m)))).toEqual([1, 0, 9, 9, 9]);
    expect([0, 1, 2, 30].map((m) => traffic?.greenP95Ms?.(at(m)))).toEqual([200, 350, 610, 610]);
    expect([0, 1, 2, 30].map((m) => traffic?.dbConnections?.(at(m)))).toEqual([130, 150, 150, 150]);
    // Per request, so it holds at whatever weight the rehearsal gives green.
    expect(traffic?.greenErrorRatePercent?.({ greenWeight: 100, minute: 2 })).toBe(9);
  });

  it('minute 0 is the first green RequestCount; earlier minutes give the load balancer baseline', () => {
    // Prepare
    const file = fileOf(
      exportOf({
        ...HEALTHY,
        lb_requests: [
          [-2, 5000],
          [-1, 5000],
          [0, 5000],
        ],
        lb_5xx: [
          [-2, 3],
          [-1, 2],
        ],
      }),
    );

    // Act
    const replay = loadReplay(file);

    // Assess
    expect(replay.firstMinute.toISOString()).toBe('2026-11-17T14:02:00.000Z');
    expect(replay.baselinePercent).toBeCloseTo(0.05, 10);
    expect(replay.world.traffic).toMatchObject({ loadBalancerBaselineErrorPercent: replay.baselinePercent });
    expect(replay.world.traffic?.requestsPerMinute).toBe(5000);
  });

  it('connection errors are refused requests, load balancer 5xx beyond them and its baseline are hangs', () => {
    // Prepare: 1000 green requests, 50 refused, 130 ELB 5xx of which 0 are baseline (none measured before).
    const file = fileOf(
      exportOf({
        ...HEALTHY,
        green_5xx: [[0, 45]],
        green_conn_errors: [[0, 50]],
        lb_requests: [[0, 1000]],
        lb_5xx: [[0, 130.5]],
      }),
    );

    // Act
    const { traffic } = replayOptionsOf(file);

    // Assess: 80 hung (130.5 - 0.05 % baseline of 1000 - 50), 45 of the 870 answered are target 5xx.
    expect(traffic?.greenCrash?.(at(0))).toEqual({ refusedPercent: 5, hangPercent: 8 });
    expect(traffic?.greenErrorRatePercent?.(at(0))).toBeCloseTo((45 * 100) / 870, 10);
  });

  it('a minute without a green RequestCount holds the minute before; a missing count is 0', () => {
    // Prepare
    const file = fileOf(
      exportOf({
        ...HEALTHY,
        green_requests: [
          [0, 1000],
          [2, 1000],
          [3, 1000],
        ],
        green_5xx: [
          [0, 60],
          [1, 999],
        ],
      }),
    );

    // Act
    const replay = loadReplay(file);

    // Assess
    expect(replay.heldMinutes).toEqual([1]);
    expect(replay.minutes).toBe(4);
    expect([0, 1, 2, 3].map((m) => replay.world.traffic?.greenErrorRatePercent?.(at(m)))).toEqual([6, 6, 0, 0]);
  });

  it('scales DB connections and healthy hosts to the simulation (400 connections, 3 tasks)', () => {
    // Prepare
    const file = fileOf(
      exportOf({
        ...HEALTHY,
        green_requests: [
          [0, 1000],
          [1, 1000],
        ],
        db_connections: [
          [0, 800],
          [1, 1600],
        ],
        green_healthy_hosts: [
          [0, 6],
          [1, 0],
        ],
        blue_healthy_hosts: [[0, 12]],
      }),
    );

    // Act
    const { traffic } = replayOptionsOf(file, { databaseMaxConnections: 2000 });

    // Assess
    expect([0, 1].map((m) => traffic?.dbConnections?.(at(m)))).toEqual([160, 320]);
    expect([0, 1, 5].map((m) => traffic?.greenHealthyHosts?.(at(m)))).toEqual([3, 0, 0]);
    expect(traffic?.liveHealthyHosts?.(at(0))).toBe(3);
  });

  it('the live rates come from the blue series when given: whole-window error rate and median p95', () => {
    // Prepare
    const file = fileOf(
      exportOf({
        ...HEALTHY,
        blue_requests: [
          [-1, 4000],
          [0, 4000],
        ],
        blue_5xx: [[-1, 16]],
        blue_p95: [
          [-1, 0.14],
          [0, 0.16],
        ],
      }),
    );

    // Act
    const { traffic } = replayOptionsOf(file);

    // Assess
    expect(traffic?.liveErrorRatePercent).toBeCloseTo(0.2, 10);
    expect(traffic?.liveP95Ms).toBeCloseTo(150, 10);
  });
});

describe('replayOptionsOf: a bad export says what is wrong', () => {
  const example = JSON.parse(readFileSync(INCIDENT_5XX, 'utf8')) as {
    MetricDataResults: { Id: string; Values: unknown[]; StatusCode: string }[];
  };
  const variant = (change: (copy: typeof example) => void): string => {
    const copy = structuredClone(example);
    change(copy);
    return fileOf(copy);
  };

  it.each(REQUIRED_REPLAY_IDS)('a file without %s fails naming it', (id) => {
    // Prepare
    const file = variant((copy) => {
      copy.MetricDataResults = copy.MetricDataResults.filter((result) => result.Id !== id);
    });

    // Act & Assess
    expect(() => replayOptionsOf(file)).toThrow(ReplayError);
    expect(() => replayOptionsOf(file)).toThrow(`Id '${id}'`);
  });

  it.each([
    [
      'a value that is not a number',
      (copy: typeof example) => {
        copy.MetricDataResults[1]?.Values.splice(0, 1, 'n/a');
      },
      'MetricDataResults[1].Values[0]',
    ],
    [
      'Timestamps and Values of different lengths',
      (copy: typeof example) => {
        copy.MetricDataResults[0]?.Values.pop();
      },
      "query 'green_requests' has 12 Timestamps but 11 Values",
    ],
    [
      'a forbidden query',
      (copy: typeof example) => {
        if (copy.MetricDataResults[3] !== undefined) copy.MetricDataResults[3].StatusCode = 'Forbidden';
      },
      "query 'green_p95' has StatusCode Forbidden",
    ],
    [
      'one page of several',
      (copy: typeof example) => {
        Object.assign(copy, { NextToken: 'page-2' });
      },
      'NextToken is set',
    ],
  ])('%s', (_, change, message) => {
    // Prepare
    const file = variant(change);

    // Act & Assess
    expect(() => replayOptionsOf(file)).toThrow(message);
  });

  it('two datapoints in one minute (a Period other than 60), a green without traffic, an empty DB series are refused', () => {
    // Prepare
    const doubled = exportOf({ ...HEALTHY, green_5xx: [[0, 1]] });
    doubled.MetricDataResults[1]?.Timestamps.push('2026-11-17T14:02:30+00:00');
    doubled.MetricDataResults[1]?.Values.push(1);
    const silent = exportOf({ ...HEALTHY, green_requests: [] });

    // Act & Assess
    expect(() => replayOptionsOf(fileOf(doubled))).toThrow("query 'green_5xx' has two datapoints in the minute");
    expect(() => replayOptionsOf(fileOf(silent))).toThrow("'green_requests' has no datapoint");
    expect(() => replayOptionsOf(fileOf(exportOf({ ...HEALTHY, db_connections: [] })))).toThrow(
      "query 'db_connections' has no datapoint",
    );
    expect(() => replayOptionsOf(fileOf('{ not json'))).toThrow('not JSON');
    expect(() => replayOptionsOf(join(directory, 'missing.json'))).toThrow('cannot be read');
  });
});
