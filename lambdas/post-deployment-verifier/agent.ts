import * as v from 'valibot';
import type { PostDeploymentVerifierConfig } from '../shared/config/post-deployment-verifier';
import { backupMetadataSchema, deploymentRefSchema } from '../shared/contracts';
import { type Side, type Sides, sidesSchema } from '../shared/cutover-contracts';
import { DeploymentCrewError } from '../shared/errors';
import type { SmokeReport } from '../shared/smoke-suite';
import { strictObject } from '../shared/validation';
import type { ListenerRewrite, MonitoringCheckResult, RollbackDryRunResult } from '../shared/verification';
import type { DeploymentLock } from '../tools/deployment-lock';
import type { MonitoringCheckTool } from '../tools/monitoring-setup';
import type { RollbackDryRun } from '../tools/rollback-test';
import type { SmokeRunner } from '../tools/test-execution';
import type { TrafficRouter } from '../tools/traffic-router';
import {
  type MonitoringDecision,
  monitoringDecision,
  rollbackRaceDecision,
  summarizeMonitoring,
  summarizeSmoke,
} from './decisions';
import { createProbeAction, type ProbeTools, probeRequestSchema } from './probes';
import { createReportAction, type ReportTools, writeReportRequestSchema } from './report';

/**
 * The PostDeploymentVerifier agent: one Lambda, one action per state-machine task. It proves the release works (the
 * smoke suite, against green before traffic and against production after 100 %), that the monitoring it relies on
 * is in place, and that a rollback could still run now. It reports; the state machine routes on what it reports, so
 * a failed smoke or a missing alarm is a result, not an error.
 */

const deployment = deploymentRefSchema;
export const verifierRequestSchema = v.variant('action', [
  strictObject({ action: v.literal('smokePreTraffic'), deployment, sides: sidesSchema }),
  strictObject({ action: v.literal('smokeProduction'), deployment }),
  strictObject({ action: v.literal('checkMonitoring'), deployment }),
  strictObject({
    action: v.literal('dryRunRollback'),
    deployment,
    sides: sidesSchema,
    backup: backupMetadataSchema,
  }),
  probeRequestSchema,
  writeReportRequestSchema,
]);
export type VerifierRequest = v.InferOutput<typeof verifierRequestSchema>;

export interface VerifierTools {
  readonly smoke: Pick<SmokeRunner, 'runSuite'>;
  readonly monitoring: MonitoringCheckTool;
  readonly rollbackTest: RollbackDryRun;
  readonly lock: Pick<DeploymentLock, 'read'>;
  readonly router: Pick<TrafficRouter, 'restoreLive'>;
  readonly probes: Omit<ProbeTools, 'lock'>;
  readonly reports: Omit<ReportTools, 'ledger'>;
}

/** What the Lambda runtime tells an invocation about itself. */
export interface Invocation {
  /** Milliseconds left before the function's timeout (the probe window is split across invocations by it). */
  readonly remainingMs: () => number;
}

export type PreTrafficSmoke =
  | { readonly skipped: true; readonly reason: string }
  | {
      readonly skipped: false;
      readonly passed: boolean;
      readonly green: Side;
      readonly summary: string;
      readonly report: SmokeReport;
    };

export interface ProductionSmoke {
  readonly passed: boolean;
  readonly summary: string;
  readonly report: SmokeReport;
}

export type MonitoringVerification = MonitoringCheckResult & {
  readonly decision: MonitoringDecision;
  readonly onMissing: PostDeploymentVerifierConfig['monitoring']['onMissing'];
  readonly summary: string;
};

export interface RaceGuard {
  /** The lock was read after the dry run, and restoreLive was called again when a rollback may have been undone. */
  readonly reasserted: boolean;
  readonly reason: string;
  /** Set when re-asserted: when the old side was put back to 100 %, and when a re-read confirmed it. */
  readonly restoredAt?: string;
  readonly confirmedAt?: string;
}

export type RollbackDryRunVerification = RollbackDryRunResult & { readonly raceGuard: RaceGuard };

export function createPostDeploymentVerifier(config: PostDeploymentVerifierConfig, tools: VerifierTools) {
  const probe = createProbeAction(config, { ...tools.probes, lock: tools.lock });
  const writeReport = createReportAction(config, { ...tools.reports, ledger: tools.probes.ledger });

  return async function handle(request: VerifierRequest, invocation: Invocation): Promise<unknown> {
    switch (request.action) {
      case 'smokePreTraffic':
        return smokePreTraffic(request.sides.green);
      case 'smokeProduction':
        // A failed suite is returned with passed: false; the state machine sends it to the RollbackCoordinator.
        return smokeProduction();
      case 'checkMonitoring':
        return checkMonitoring();
      case 'dryRunRollback':
        return dryRunRollback(request.deployment.name, request);
      case 'probe':
        return probe(request, invocation.remainingMs);
      case 'writeReport':
        return writeReport(request);
    }
  };

  async function smokePreTraffic(green: Side): Promise<PreTrafficSmoke> {
    if (config.testListenerUrl === null) {
      return {
        skipped: true,
        reason: 'no test listener is configured: green is first smoke-tested after 100 %, against production',
      };
    }
    // The test listener forwards to green only: nothing of production's traffic is involved yet.
    const report = await tools.smoke.runSuite(config.suite, {
      baseUrl: config.testListenerUrl,
      extraHeaders: config.extraHeaders,
    });
    return { skipped: false, passed: report.passed, green, summary: summarizeSmoke(report), report };
  }

  async function smokeProduction(): Promise<ProductionSmoke> {
    const report = await tools.smoke.runSuite(config.suite, { baseUrl: config.productionUrl });
    return { passed: report.passed, summary: summarizeSmoke(report), report };
  }

  async function checkMonitoring(): Promise<MonitoringVerification> {
    const { onMissing, ...request } = config.monitoring;
    const result = await tools.monitoring.check(request);
    const decision = monitoringDecision(result.ok, onMissing);
    return { ...result, decision, onMissing, summary: summarizeMonitoring(result, decision) };
  }

  async function dryRunRollback(
    holder: string,
    request: Extract<VerifierRequest, { action: 'dryRunRollback' }>,
  ): Promise<RollbackDryRunVerification> {
    const { dryRun } = config;
    // Not narrowed by the compiler: the observer sets it inside the call.
    let accepted = null as ListenerRewrite | null;
    let result: RollbackDryRunResult;
    try {
      result = await tools.rollbackTest.dryRun(
        {
          listenerArn: config.listenerArn,
          sides: request.sides,
          clusterName: dryRun.clusterName,
          minHealthyTargets: dryRun.minHealthyTargets,
          expectedDesiredCount: dryRun.expectedDesiredCount,
          snapshot: request.backup,
          coordinatorRoleArn: dryRun.coordinatorRoleArn,
          rollbackActions: dryRun.rollbackActions,
          rollbackResources: dryRun.rollbackResources,
          rollbackContext: dryRun.rollbackContext,
          estimate: { rollbackVerifySeconds: dryRun.rollbackVerifySeconds },
        },
        { onListenerRewrite: (rewrite) => (accepted = rewrite) },
      );
    } catch (error) {
      // A re-write accepted before the throw may have undone a rollback, and the retry's own read would not see
      // it: guard it now, then fail as the dry run did (a guard failure, LockLost first, takes precedence).
      if (accepted !== null) await raceGuard(holder, accepted, request.sides);
      throw error;
    }
    return { ...result, raceGuard: await raceGuard(holder, result.listenerRewrite, request.sides) };
  }

  /** The dry run re-applied the listener as it read it: a rollback written in between would now be undone. */
  async function raceGuard(holder: string, rewrite: ListenerRewrite | null, sides: Sides): Promise<RaceGuard> {
    const item = await tools.lock.read();
    if (item === undefined || item.holder !== holder) {
      throw new DeploymentCrewError(
        'LockLost',
        `deployment ${holder} no longer holds the lock (now ${item === undefined ? 'free' : `held by ${item.holder}`}); ` +
          (rewrite === null
            ? 'the dry run wrote nothing to the listener'
            : `the dry run re-applied the listener's default action between ${rewrite.readAt} and ${rewrite.acceptedAt}`),
      );
    }
    const decision = rollbackRaceDecision(rewrite, item.rollback, item.listenerRestoredAt);
    if (!decision.reassert) return { reasserted: false, reason: decision.reason };
    const { restoredAt, confirmedAt } = await tools.router.restoreLive(sides);
    return {
      reasserted: true,
      reason: `${decision.reason}; the old side ${sides.live.serviceName} was put back to 100 % again`,
      restoredAt,
      confirmedAt,
    };
  }
}
