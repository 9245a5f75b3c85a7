import { describe, expect, it } from 'vitest';
import {
  createProbeAction,
  PROBE_OVERRUN_MS,
  PROBE_RESERVE_MS,
  type ProbeRequest,
  probeTarget,
} from '../../lambdas/post-deployment-verifier/probes';
import type { ProbeFailureReport } from '../../lambdas/shared/probe-failure';
import type { LockItem } from '../../lambdas/tools/deployment-lock';
import type { ProbeRunOptions, ProbeRunRecord, ProbeVerdict } from '../../lambdas/tools/prober';
import { DEPLOYMENT, GREEN_TG, SIDES, verifierConfig } from './fixtures';

const NOW = Date.parse('2026-11-24T10:20:00.000Z');

const request = (overrides: Partial<ProbeRequest> = {}): ProbeRequest => ({
  action: 'probe',
  deployment: DEPLOYMENT,
  sides: SIDES,
  window: 'bake',
  startedAt: new Date(NOW).toISOString(),
  durationSeconds: 300,
  ...overrides,
});

function world(verdict: ProbeVerdict, config = verifierConfig()) {
  const runs: { dimensions: unknown; options: ProbeRunOptions }[] = [];
  const records: ProbeRunRecord[] = [];
  const reports: ProbeFailureReport[] = [];
  const continuations: ProbeRequest[] = [];
  const state = {
    now: NOW,
    lock: { holder: DEPLOYMENT.name, lockState: 'HELD', phase: 'CUTOVER', sides: SIDES, greenWeight: 10 } as
      | LockItem
      | undefined,
  };
  const probe = createProbeAction(config, {
    probe: async (dimensions, options) => {
      runs.push({ dimensions, options });
      return verdict;
    },
    ledger: {
      record: async (_deployment, run) => {
        records.push(run);
      },
      read: async () => null,
    },
    lock: { read: async () => state.lock },
    reportProbeFailure: async (report) => {
      reports.push(report);
      return { action: 'traffic-restored' };
    },
    continueProbing: async (next) => {
      continuations.push(next);
    },
    now: () => state.now,
  });
  return { probe, runs, records, reports, continuations, state };
}

const timeUp: ProbeVerdict = { kind: 'time-up', rounds: 60, failedRounds: 1, publishFailures: 0 };

describe('verifier: probe', () => {
  it('probes green through the test listener until the bake ends, and records the rounds', async () => {
    // Prepare
    const { probe, runs, records, continuations } = world(timeUp);

    // Act
    const result = await probe(request(), () => 900_000);

    // Assess
    expect(runs[0]?.dimensions).toEqual({ deployment: DEPLOYMENT.name, targetGroup: GREEN_TG });
    expect(runs[0]?.options).toMatchObject({
      target: { baseUrl: 'https://green.shop.example.com:8443', extraHeaders: { 'x-deployment-side': 'green' } },
      intervalMs: 5_000,
      untilMs: NOW + 300_000 + PROBE_OVERRUN_MS,
      rule: { failures: 3, withinMs: 15_000 },
    });
    expect(records).toEqual([{ rounds: 60, failedRounds: 1, publishFailures: 0 }]);
    expect(continuations).toEqual([]);
    expect(result).toMatchObject({ kind: 'time-up', continued: false });
  });

  it('stops before its own timeout and continues the rest of a long window in a new invocation', async () => {
    // Prepare: a 40-minute watch, 15 minutes of invocation time
    const { probe, runs, continuations } = world(timeUp);
    const watch = request({ window: 'watch', durationSeconds: 2_400 });

    // Act
    const result = await probe(watch, () => 900_000);

    // Assess
    expect(runs[0]?.options.untilMs).toBe(NOW + 900_000 - PROBE_RESERVE_MS);
    expect(runs[0]?.options.target).toEqual({ baseUrl: 'https://shop.example.com' });
    expect(continuations).toEqual([watch]);
    expect(result).toMatchObject({ continued: true });
  });

  it('reports green down to the alarm listener with the first failed probe and the failures', async () => {
    // Prepare
    const failedRun = [5, 10, 15].map((second) => ({
      at: new Date(NOW + second * 1000),
      passed: false,
      latencyMs: 3,
      failures: [`list orders: status 503, expected 200 (${second})`],
    }));
    const { probe, reports, records, continuations } = world({
      kind: 'green-down',
      failedRun,
      rounds: 4,
      publishFailures: 0,
    });

    // Act
    const result = await probe(request({ durationSeconds: 3_000 }), () => 900_000);

    // Assess
    expect(reports).toEqual([
      {
        source: 'deployment-crew.prober',
        deployment: DEPLOYMENT.name,
        greenTargetGroupArn: GREEN_TG,
        firstFailedAt: '2026-11-24T10:20:05.000Z',
        failures: failedRun.flatMap((round) => round.failures),
        reason: expect.stringContaining('3 consecutive probe rounds failed'),
      },
    ]);
    expect(records).toEqual([
      {
        rounds: 4,
        failedRounds: 3,
        publishFailures: 0,
        greenDownSince: '2026-11-24T10:20:05.000Z',
        failures: failedRun.flatMap((round) => round.failures),
      },
    ]);
    expect(continuations).toEqual([]);
    expect(result).toMatchObject({ kind: 'green-down', reported: { action: 'traffic-restored' } });
  });

  it.each([
    ['the lock is gone', undefined],
    ['a rollback was requested', { rollback: { trigger: 'ALARM', reason: 'r', requestedAt: 'x', requestedBy: 'y' } }],
    ['the deployment left the traffic phases', { phase: 'RETIRING' }],
    ['another deployment holds the lock', { holder: 'someone-else' }],
  ])('stops probing when %s', async (_why, change) => {
    // Prepare
    const { probe, runs, state } = world(timeUp);
    state.lock = change === undefined ? undefined : ({ ...state.lock, ...change } as LockItem);
    await probe(request(), () => 900_000);

    // Act
    const stop = await runs[0]?.options.shouldStop?.();

    // Assess
    expect(stop).toBe(true);
  });

  it("stops a bake's prober at the next traffic step, which sends its own", async () => {
    // Prepare
    const { probe, runs, state } = world(timeUp);
    await probe(request(), () => 900_000);
    const shouldStop = runs[0]?.options.shouldStop;
    const first = await shouldStop?.();

    // Act
    state.lock = { ...(state.lock as LockItem), greenWeight: 50 };
    const afterTheStep = await shouldStop?.();

    // Assess
    expect([first, afterTheStep]).toEqual([false, true]);
  });

  it("keeps the watch's prober going in PROMOTED, and stops it once the old side is being retired", async () => {
    // Prepare
    const { probe, runs, state } = world(timeUp);
    state.lock = { ...(state.lock as LockItem), phase: 'PROMOTED', greenWeight: 100 };
    await probe(request({ window: 'watch' }), () => 900_000);
    const shouldStop = runs[0]?.options.shouldStop;
    const watching = await shouldStop?.();

    // Act
    state.lock = { ...(state.lock as LockItem), phase: 'RETIRING' };
    const retiring = await shouldStop?.();

    // Assess
    expect([watching, retiring]).toEqual([false, true]);
  });

  it('keeps probing while green carries traffic for this deployment', async () => {
    // Prepare
    const { probe, runs } = world(timeUp);
    await probe(request(), () => 900_000);

    // Act
    const stop = await runs[0]?.options.shouldStop?.();

    // Assess
    expect(stop).toBe(false);
  });

  it('skips a bake without a green-only route: production probes could not tell green from the live side', async () => {
    // Prepare
    const config = verifierConfig({ testListenerUrl: null, extraHeaders: {} });
    const { probe, runs } = world(timeUp, config);

    // Act
    const result = await probe(request(), () => 900_000);

    // Assess
    expect(result).toMatchObject({ kind: 'skipped' });
    expect(runs).toEqual([]);
    expect(probeTarget(config, 'watch')).toEqual({ baseUrl: 'https://shop.example.com' });
    expect(probeTarget(verifierConfig({ testListenerUrl: null }), 'bake')).toEqual({
      baseUrl: 'https://shop.example.com',
      extraHeaders: { 'x-deployment-side': 'green' },
    });
  });

  it('probes nothing for a window that is already over (a late or retried delivery)', async () => {
    // Prepare
    const { probe, continuations, state } = world({ kind: 'time-up', rounds: 0, failedRounds: 0, publishFailures: 0 });
    state.now = NOW + 600_000;

    // Act
    const result = await probe(request(), () => 900_000);

    // Assess
    expect(result).toMatchObject({ rounds: 0, continued: false });
    expect(continuations).toEqual([]);
  });
});
