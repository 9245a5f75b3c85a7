import * as v from 'valibot';
import type { PostDeploymentVerifierConfig } from '../shared/config/post-deployment-verifier';
import { deploymentRefSchema } from '../shared/contracts';
import { type Sides, sidesSchema } from '../shared/cutover-contracts';
import { PROBE_FAILURE_SOURCE, type ProbeFailureReport } from '../shared/probe-failure';
import { positiveInt, strictObject, utcInstant } from '../shared/validation';
import type { DeploymentLock } from '../tools/deployment-lock';
import type { ProbeLedger, ProbeRunOptions, ProbeVerdict } from '../tools/prober';
import type { SmokeTarget } from '../tools/test-execution';

/**
 * The verifier's `probe` action: one asynchronous invocation per bake (and one for the post-promotion watch) that
 * probes green every few seconds until the window ends, and reports "green is down" to the alarm listener, which
 * takes it off traffic on the same path as an alarm. A window longer than one invocation is continued by a new
 * asynchronous invocation of the same request: the request names its window by time, so a continuation, a retried
 * or a late delivery probes only what is left of it, and nothing once it is over.
 */

export const probeRequestSchema = strictObject({
  action: v.literal('probe'),
  deployment: deploymentRefSchema,
  sides: sidesSchema,
  /** `bake`: green through the test listener (or the green-pinning headers); `watch`: production, all green by now. */
  window: v.picklist(['bake', 'watch']),
  /** When the window began (the state machine's `$$.State.EnteredTime`) and how long it lasts. */
  startedAt: utcInstant,
  durationSeconds: positiveInt,
});
export type ProbeRequest = v.InferOutput<typeof probeRequestSchema>;

/** Probing goes on a little past the window: the bake's timer starts after the prober is sent off. */
export const PROBE_OVERRUN_MS = 5_000;
/** Kept back from the invocation's time: the ledger write, the report to the alarm listener, the continuation. */
export const PROBE_RESERVE_MS = 30_000;
/** The lock phase each window probes in: green carries traffic, and a failure would be acted on. */
const PROBED_PHASE = { bake: 'CUTOVER', watch: 'PROMOTED' } as const;

export interface ProbeTools {
  /** Runs probe rounds against the target, publishing each under the deployment's and green's dimensions. */
  readonly probe: (dimensions: ProbeDimensions, options: ProbeRunOptions) => Promise<ProbeVerdict>;
  readonly ledger: ProbeLedger;
  readonly lock: Pick<DeploymentLock, 'read'>;
  /** Invokes the alarm listener with the report (RequestResponse): it restores live and ends the bake. */
  readonly reportProbeFailure: (report: ProbeFailureReport) => Promise<unknown>;
  /** Invokes this function again, asynchronously, with the same request. */
  readonly continueProbing: (request: ProbeRequest) => Promise<void>;
  /** ms since the epoch. */
  readonly now: () => number;
}

export interface ProbeDimensions {
  readonly deployment: string;
  readonly targetGroup: string;
}

export type ProbeResult =
  | { readonly kind: 'skipped'; readonly reason: string }
  | {
      readonly kind: ProbeVerdict['kind'];
      readonly rounds: number;
      readonly failedRounds: number;
      readonly publishFailures: number;
      /** A continuation was sent for the rest of the window. */
      readonly continued: boolean;
      /** What the alarm listener answered to a green-down report. */
      readonly reported?: unknown;
    };

/** Where probes reach green: during a bake only a green-only route counts; in the watch production is green. */
export function probeTarget(config: PostDeploymentVerifierConfig, window: ProbeRequest['window']): SmokeTarget | null {
  if (window === 'watch') return { baseUrl: config.productionUrl };
  if (config.testListenerUrl !== null) return { baseUrl: config.testListenerUrl, extraHeaders: config.extraHeaders };
  if (Object.keys(config.extraHeaders).length > 0) {
    return { baseUrl: config.productionUrl, extraHeaders: config.extraHeaders };
  }
  return null;
}

export function createProbeAction(config: PostDeploymentVerifierConfig, tools: ProbeTools) {
  /**
   * Probing stops once nothing it could report would be acted on for this green, and a bake's prober at the next
   * traffic step (that step sends its own): a bake probes in CUTOVER at its own weight, the watch in PROMOTED.
   */
  const shouldStop = (holder: string, sides: Sides, window: ProbeRequest['window']) => {
    let weight: number | undefined;
    return async () => {
      const item = await tools.lock.read();
      if (item === undefined || item.holder !== holder || item.rollback !== undefined) return true;
      if (item.sides?.green.targetGroupArn !== sides.green.targetGroupArn) return true;
      if (item.phase !== PROBED_PHASE[window]) return true;
      weight ??= item.greenWeight;
      return item.greenWeight !== weight;
    };
  };

  return async function probe(request: ProbeRequest, remainingMs: () => number): Promise<ProbeResult> {
    const target = probeTarget(config, request.window);
    if (target === null) {
      return {
        kind: 'skipped',
        reason:
          'no test listener and no green-pinning headers are configured: during a bake, probes could not tell green from the live side',
      };
    }
    const holder = request.deployment.name;
    const windowEndsMs = Date.parse(request.startedAt) + request.durationSeconds * 1000 + PROBE_OVERRUN_MS;
    const invocationEndsMs = tools.now() + remainingMs() - PROBE_RESERVE_MS;
    const untilMs = Math.min(windowEndsMs, invocationEndsMs);
    const verdict = await tools.probe(
      { deployment: holder, targetGroup: request.sides.green.targetGroupArn },
      {
        steps: config.suite,
        target,
        intervalMs: config.probe.intervalMs,
        untilMs,
        rule: config.probe.rule,
        shouldStop: shouldStop(holder, request.sides, request.window),
      },
    );

    if (verdict.kind === 'green-down') {
      const first = verdict.failedRun[0];
      const firstFailedAt = (first?.at ?? new Date(tools.now())).toISOString();
      const failures = verdict.failedRun.flatMap((round) => round.failures).slice(0, 20);
      const failedRounds = verdict.failedRun.length;
      await tools.ledger.record(holder, {
        rounds: verdict.rounds,
        failedRounds,
        publishFailures: verdict.publishFailures,
        greenDownSince: firstFailedAt,
        failures,
      });
      const reported = await tools.reportProbeFailure({
        source: PROBE_FAILURE_SOURCE,
        deployment: holder,
        greenTargetGroupArn: request.sides.green.targetGroupArn,
        firstFailedAt,
        failures,
        reason: `${failedRounds} consecutive probe rounds failed against ${target.baseUrl} (from ${firstFailedAt})`,
      });
      return {
        kind: verdict.kind,
        rounds: verdict.rounds,
        failedRounds,
        publishFailures: verdict.publishFailures,
        continued: false,
        reported,
      };
    }

    await tools.ledger.record(holder, {
      rounds: verdict.rounds,
      failedRounds: verdict.failedRounds,
      publishFailures: verdict.publishFailures,
    });
    // Only when this invocation's time, not the window, ended the probing: a window that is over is never continued.
    const continued = verdict.kind === 'time-up' && invocationEndsMs < windowEndsMs - config.probe.intervalMs;
    if (continued) await tools.continueProbing(request);
    return {
      kind: verdict.kind,
      rounds: verdict.rounds,
      failedRounds: verdict.failedRounds,
      publishFailures: verdict.publishFailures,
      continued,
    };
  };
}
