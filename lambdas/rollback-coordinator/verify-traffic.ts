import { parseTargetGroupArn } from '../shared/arns';
import type { CoordinatorConfig } from '../shared/config/rollback-coordinator';
import type { RollbackState, Sides } from '../shared/cutover-contracts';
import { DeploymentCrewError } from '../shared/errors';
import type { DeploymentLock } from '../tools/deployment-lock';
import type { MetricsMonitor } from '../tools/metrics-monitor';
import type { TrafficRouter } from '../tools/traffic-router';
import { appendTimeline } from './timeline';

/** The tools the check uses. */
export interface VerifyTrafficTools {
  readonly router: TrafficRouter;
  readonly monitor: MetricsMonitor;
  readonly lock: DeploymentLock;
}

export interface VerifiedTraffic {
  /** The rollback with the live error rate noted. */
  readonly state: RollbackState;
  /** This check's own re-read of the listener at live 100 / green 0. */
  readonly confirmedAt: string;
  /** The last restore the lock recorded (the alarm listener's or the coordinator's), if any. */
  readonly lockRestoredAt: string | undefined;
}

/**
 * After a traffic rollback: the listener still 100 % live, the live targets healthy, and the live side's error rate,
 * over the minutes since traffic came back, under the threshold. Throws when the live side did not recover.
 */
export async function verifyTrafficRollback(
  config: Pick<CoordinatorConfig, 'errorRatePercent' | 'metricsLagSeconds' | 'verifyWindowSeconds'>,
  tools: VerifyTrafficTools,
  request: { readonly sides: Sides; readonly rollback: RollbackState },
  clock: () => Date,
): Promise<VerifiedTraffic> {
  const { sides } = request;
  const { confirmedAt } = await tools.router.confirmWeights(sides, 0);
  const health = await tools.router.targetHealth(sides.live.targetGroupArn);
  if (health.healthy === 0 || health.unhealthy > 0) {
    throw new DeploymentCrewError(
      'LiveUnhealthy',
      `${sides.live.serviceName} targets are not healthy after the rollback (${health.healthy} healthy, ${health.unhealthy} unhealthy)`,
    );
  }
  const end = new Date(clock().getTime() - config.metricsLagSeconds * 1000);
  // Only minutes after traffic came back say whether the live side recovered.
  const lockRestoredAt = (await tools.lock.read())?.listenerRestoredAt;
  const verified = (result: 'ok' | 'info', detail: string): VerifiedTraffic => ({
    state: appendTimeline(request.rollback, { action: 'live error rate', result, detail }, clock()),
    confirmedAt,
    lockRestoredAt,
  });
  const firstFullMinute =
    lockRestoredAt === undefined ? 0 : Math.ceil(new Date(lockRestoredAt).getTime() / 60_000) * 60_000;
  const start = new Date(Math.max(end.getTime() - config.verifyWindowSeconds * 1000, firstFullMinute));
  if (start >= end) return verified('info', 'too soon after the restore to judge the live side');
  const traffic = await tools.monitor.liveErrorRate(parseTargetGroupArn(sides.live.targetGroupArn).fullName, {
    start,
    end,
  });
  if (traffic.errorRatePercent === null) return verified('info', 'no requests on the live side in the window yet');
  if (traffic.errorRatePercent > config.errorRatePercent) {
    throw new DeploymentCrewError(
      'LiveErrorsNotRecovered',
      `the live side's 5xx rate is ${traffic.errorRatePercent.toFixed(2)} % after the rollback (threshold ${config.errorRatePercent} %)`,
    );
  }
  return verified(
    'ok',
    `${traffic.errorRatePercent.toFixed(2)} % 5xx over ${traffic.requests} requests (threshold ${config.errorRatePercent} %)`,
  );
}
