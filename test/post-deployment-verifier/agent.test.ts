import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  createPostDeploymentVerifier,
  type VerifierRequest,
  type VerifierTools,
  verifierRequestSchema,
} from '../../lambdas/post-deployment-verifier/agent';
import { summarizeSmoke } from '../../lambdas/post-deployment-verifier/decisions';
import type { PostDeploymentVerifierConfig } from '../../lambdas/shared/config/post-deployment-verifier';
import type { Sides } from '../../lambdas/shared/cutover-contracts';
import type { SmokeStep } from '../../lambdas/shared/smoke-suite';
import type {
  MonitoringCheckRequestInput,
  MonitoringCheckResult,
  RollbackDryRunRequestInput,
  RollbackDryRunResult,
} from '../../lambdas/shared/verification';
import type { LockItem } from '../../lambdas/tools/deployment-lock';
import type { SmokeTarget } from '../../lambdas/tools/test-execution';
import { rejection } from '../support/errors';
import {
  BACKUP,
  BLUE_TG,
  COORDINATOR_ROLE_ARN,
  DEPLOYMENT,
  dryRunResult,
  LISTENER_ARN,
  monitoringResult,
  REWRITE,
  SIDES,
  smokeReport,
  verifierConfig,
} from './fixtures';

/** Fake tools that record what the agent asks and answer what the test sets. */
function world(config: PostDeploymentVerifierConfig = verifierConfig()) {
  const state = {
    failingSteps: [] as string[],
    monitoring: monitoringResult(),
    dryRun: dryRunResult(),
    /** When set, the dry run throws this after reporting `dryRun.listenerRewrite` (if any) as accepted. */
    dryRunError: undefined as Error | undefined,
    lock: { holder: DEPLOYMENT.name, lockState: 'HELD', phase: 'PROMOTED' } as LockItem | undefined,
  };
  const suiteRuns: { steps: readonly SmokeStep[]; target: SmokeTarget }[] = [];
  const monitoringRequests: MonitoringCheckRequestInput[] = [];
  const dryRunRequests: RollbackDryRunRequestInput[] = [];
  const restores: Sides[] = [];
  const lockReads: (LockItem | undefined)[] = [];
  const tools: VerifierTools = {
    smoke: {
      runSuite: async (steps, target) => {
        suiteRuns.push({ steps, target });
        return smokeReport(target.baseUrl, state.failingSteps);
      },
    },
    monitoring: {
      check: async (request): Promise<MonitoringCheckResult> => {
        monitoringRequests.push(request);
        return state.monitoring;
      },
    },
    rollbackTest: {
      dryRun: async (request, observer): Promise<RollbackDryRunResult> => {
        dryRunRequests.push(request);
        if (state.dryRun.listenerRewrite !== null) observer?.onListenerRewrite?.(state.dryRun.listenerRewrite);
        if (state.dryRunError !== undefined) throw state.dryRunError;
        return state.dryRun;
      },
    },
    lock: {
      read: async () => {
        lockReads.push(state.lock);
        return state.lock;
      },
    },
    router: {
      restoreLive: async (sides) => {
        restores.push(sides);
        return { restoredAt: '2026-11-24T10:10:02.000Z', confirmedAt: '2026-11-24T10:10:02.500Z' };
      },
    },
    // The probe and report actions have their own tests (probes.test.ts, report.test.ts).
    probes: {
      probe: async () => {
        throw new Error('not probed here');
      },
      ledger: { record: async () => {}, read: async () => null },
      reportProbeFailure: async () => null,
      continueProbing: async () => {},
      now: () => Date.parse('2026-11-24T10:10:00.000Z'),
    },
    reports: {
      store: {
        store: async () => {
          throw new Error('not stored here');
        },
      },
      history: { countTransitions: async () => ({ transitions: 0, statesEntered: 0, retries: 0, events: 0 }) },
      now: () => new Date('2026-11-24T10:10:00.000Z'),
    },
  };
  const verifier = createPostDeploymentVerifier(config, tools);
  // Through the request schema, as the handler does.
  const handle = (request: unknown) =>
    verifier(v.parse(verifierRequestSchema, request) as VerifierRequest, { remainingMs: () => 60_000 });
  return { state, handle, suiteRuns, monitoringRequests, dryRunRequests, restores, lockReads };
}

const rollbackAt = (requestedAt: string, extra: Partial<LockItem> = {}): LockItem => ({
  holder: DEPLOYMENT.name,
  lockState: 'HELD',
  phase: 'ROLLING_BACK',
  rollback: { trigger: 'ERROR_RATE', reason: 'error rate 7 %', requestedAt, requestedBy: 'rollback-trigger' },
  ...extra,
});

describe('verifier: smokePreTraffic', () => {
  it('runs the suite against the test listener with the green headers, before any production traffic', async () => {
    // Prepare
    const { handle, suiteRuns } = world();

    // Act
    const result = await handle({ action: 'smokePreTraffic', deployment: DEPLOYMENT, sides: SIDES });

    // Assess
    expect(suiteRuns).toHaveLength(1);
    expect(suiteRuns[0]?.target).toEqual({
      baseUrl: 'https://green.shop.example.com:8443',
      extraHeaders: { 'x-deployment-side': 'green' },
    });
    expect(suiteRuns[0]?.steps.map((step) => step.name)).toEqual(['login', 'list orders']);
    expect(result).toMatchObject({ skipped: false, passed: true, green: SIDES.green });
  });

  it('returns a failed suite with passed: false and a summary instead of throwing', async () => {
    // Prepare
    const { handle, state } = world();
    state.failingSteps = ['login'];

    // Act
    const result = await handle({ action: 'smokePreTraffic', deployment: DEPLOYMENT, sides: SIDES });

    // Assess
    expect(result).toMatchObject({
      skipped: false,
      passed: false,
      summary:
        '1 of 2 smoke steps passed against https://green.shop.example.com:8443; failed: login (status 500, expected 200)',
      report: { passed: false },
    });
  });

  it('is skipped, with its reason, when no test listener is configured', async () => {
    // Prepare
    const { handle, suiteRuns } = world(verifierConfig({ testListenerUrl: null }));

    // Act
    const result = await handle({ action: 'smokePreTraffic', deployment: DEPLOYMENT, sides: SIDES });

    // Assess
    expect(result).toEqual({ skipped: true, reason: expect.stringContaining('no test listener is configured') });
    expect(suiteRuns).toEqual([]);
  });
});

describe('verifier: smokeProduction', () => {
  it('runs the suite against production without the green headers and returns the report', async () => {
    // Prepare
    const { handle, suiteRuns } = world();

    // Act
    const result = await handle({ action: 'smokeProduction', deployment: DEPLOYMENT });

    // Assess
    expect(suiteRuns.map((run) => run.target)).toEqual([{ baseUrl: 'https://shop.example.com' }]);
    const report = smokeReport('https://shop.example.com');
    expect(result).toEqual({ passed: true, summary: summarizeSmoke(report), report });
  });

  it('returns a failed suite as it is (passed: false) for the state machine to route to a rollback', async () => {
    // Prepare
    const { handle, state } = world();
    state.failingSteps = ['list orders'];

    // Act
    const result = await handle({ action: 'smokeProduction', deployment: DEPLOYMENT });

    // Assess
    const report = smokeReport('https://shop.example.com', ['list orders']);
    expect(result).toEqual({ passed: false, summary: summarizeSmoke(report), report });
    expect(summarizeSmoke(report)).toContain('failed: list orders');
  });
});

describe('verifier: checkMonitoring', () => {
  it('checks the configured alarms, dashboard, log groups and window, and says ok when all is in place', async () => {
    // Prepare
    const { handle, monitoringRequests } = world();

    // Act
    const result = await handle({ action: 'checkMonitoring', deployment: DEPLOYMENT });

    // Assess
    expect(monitoringRequests).toEqual([
      {
        alarmNames: ['shop-blue-error-rate', 'shop-db-connections'],
        dashboardName: 'shop-deployment',
        logGroupNames: ['/ecs/shop'],
        logsRecentWithinMinutes: 90,
      },
    ]);
    expect(result).toMatchObject({ ok: true, decision: 'ok', onMissing: 'fail' });
  });

  it('fails the deployment on missing monitoring by default', async () => {
    // Prepare
    const { handle, state } = world();
    state.monitoring = monitoringResult('shop-db-connections');

    // Act
    const result = await handle({ action: 'checkMonitoring', deployment: DEPLOYMENT });

    // Assess
    expect(result).toMatchObject({
      ok: false,
      decision: 'fail',
      risks: ['alarm shop-db-connections: not found'],
      summary: 'monitoring missing, deployment fails: 2 of 3 checks ok; alarm shop-db-connections: not found',
    });
  });

  it('records the gap as a risk when configured to', async () => {
    // Prepare
    const config = verifierConfig();
    const { handle, state } = world({ ...config, monitoring: { ...config.monitoring, onMissing: 'record-risk' } });
    state.monitoring = monitoringResult('shop-db-connections');

    // Act
    const result = await handle({ action: 'checkMonitoring', deployment: DEPLOYMENT });

    // Assess
    expect(result).toMatchObject({ ok: false, decision: 'risk', onMissing: 'record-risk' });
  });
});

describe('verifier: dryRunRollback', () => {
  it('dry-runs the rollback with the configured coordinator role, actions, sizes and the backup', async () => {
    // Prepare
    const { handle, dryRunRequests, restores } = world();

    // Act
    const result = await handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP });

    // Assess
    expect(dryRunRequests).toEqual([
      {
        listenerArn: LISTENER_ARN,
        sides: SIDES,
        clusterName: 'shop',
        minHealthyTargets: 2,
        expectedDesiredCount: 3,
        snapshot: BACKUP,
        coordinatorRoleArn: COORDINATOR_ROLE_ARN,
        rollbackActions: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:DescribeListeners'],
        rollbackResources: { 'elasticloadbalancing:ModifyListener': [LISTENER_ARN] },
        rollbackContext: {},
        estimate: { rollbackVerifySeconds: 120 },
      },
    ]);
    expect(result).toEqual({
      ...dryRunResult(),
      raceGuard: { reasserted: false, reason: 'no rollback request is recorded on the lock' },
    });
    expect(restores).toEqual([]);
  });

  it('restores live again when a rollback was requested between the listener read and the re-write', async () => {
    // Prepare
    const { handle, state, restores } = world();
    state.lock = rollbackAt('2026-11-24T10:10:00.150Z');

    // Act
    const result = await handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP });

    // Assess
    expect(restores).toEqual([SIDES]);
    expect(restores[0]?.live.targetGroupArn).toBe(BLUE_TG);
    expect(result).toMatchObject({
      ready: true,
      raceGuard: {
        reasserted: true,
        reason: expect.stringMatching(/between the dry run's listener read .* put back to 100 % again$/),
        restoredAt: '2026-11-24T10:10:02.000Z',
        confirmedAt: '2026-11-24T10:10:02.500Z',
      },
    });
  });

  it('restores live again when a rollback was requested any time after the listener read', async () => {
    // Prepare
    const { handle, state, restores } = world();
    state.lock = rollbackAt('2026-11-24T10:10:00.900Z');

    // Act
    const result = await handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP });

    // Assess
    expect(restores).toEqual([SIDES]);
    expect(result).toMatchObject({ raceGuard: { reasserted: true } });
  });

  it('leaves the listener alone when the rollback was restored before the dry run read it', async () => {
    // Prepare
    const { handle, state, restores } = world();
    state.lock = rollbackAt('2026-11-24T10:09:00.000Z', { listenerRestoredAt: '2026-11-24T10:09:01.000Z' });

    // Act
    const result = await handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP });

    // Assess
    expect(restores).toEqual([]);
    expect(result).toMatchObject({ raceGuard: { reasserted: false } });
  });

  it('does not restore when the dry run wrote nothing (ModifyListener refused), even with a rollback pending', async () => {
    // Prepare
    const { handle, state, restores } = world();
    state.dryRun = { ...dryRunResult(null), ready: false, estimatedRollbackSeconds: null, estimate: null };
    state.lock = rollbackAt(REWRITE.acceptedAt);

    // Act
    const result = await handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP });

    // Assess
    expect(restores).toEqual([]);
    expect(result).toMatchObject({ ready: false, raceGuard: { reasserted: false } });
  });

  it('fails with LockLost, touching nothing, when the lock is no longer this deployment', async () => {
    // Prepare
    const { handle, state, restores } = world();
    state.lock = { ...rollbackAt('2026-11-24T10:10:00.150Z'), holder: 'release-1-5-0' };

    // Act
    const error = await rejection(
      handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP }),
    );

    // Assess
    expect(error.name).toBe('LockLost');
    expect(error.message).toContain('held by release-1-5-0');
    expect(restores).toEqual([]);
  });
});

describe('verifier: dryRunRollback that throws after its listener re-write', () => {
  const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });

  it("still guards the accepted re-write, then fails with the dry run's error for the retry", async () => {
    // Prepare: a rollback restored after the dry run read the listener; the re-write put green back on traffic.
    const { handle, state, restores } = world();
    state.lock = rollbackAt('2026-11-24T10:09:59.000Z', { listenerRestoredAt: '2026-11-24T10:10:00.200Z' });
    state.dryRunError = throttled();

    // Act
    const error = await rejection(
      handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP }),
    );

    // Assess
    expect(error.name).toBe('Throttling');
    expect(restores).toEqual([SIDES]);
  });

  it('reads the lock and leaves the listener alone when no rollback was recorded', async () => {
    // Prepare
    const { handle, state, restores, lockReads } = world();
    state.dryRunError = throttled();

    // Act
    const error = await rejection(
      handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP }),
    );

    // Assess
    expect(error.name).toBe('Throttling');
    expect(lockReads).toHaveLength(1);
    expect(restores).toEqual([]);
  });

  it('touches neither the lock nor the listener when the dry run threw before any re-write', async () => {
    // Prepare
    const { handle, state, restores, lockReads } = world();
    state.dryRun = dryRunResult(null);
    state.dryRunError = throttled();
    state.lock = rollbackAt(REWRITE.acceptedAt);

    // Act
    const error = await rejection(
      handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP }),
    );

    // Assess
    expect(error.name).toBe('Throttling');
    expect(lockReads).toEqual([]);
    expect(restores).toEqual([]);
  });

  it('fails with LockLost, restoring nothing, when the lock is no longer this deployment', async () => {
    // Prepare
    const { handle, state, restores } = world();
    state.lock = { ...rollbackAt('2026-11-24T10:10:00.150Z'), holder: 'release-1-5-0' };
    state.dryRunError = throttled();

    // Act
    const error = await rejection(
      handle({ action: 'dryRunRollback', deployment: DEPLOYMENT, sides: SIDES, backup: BACKUP }),
    );

    // Assess
    expect(error.name).toBe('LockLost');
    expect(restores).toEqual([]);
  });
});

describe('verifier: requests', () => {
  it('refuses an action it does not know and a dry run without a backup', () => {
    // Act
    const unknown = v.safeParse(verifierRequestSchema, { action: 'promote', deployment: DEPLOYMENT });
    const noBackup = v.safeParse(verifierRequestSchema, {
      action: 'dryRunRollback',
      deployment: DEPLOYMENT,
      sides: SIDES,
    });

    // Assess
    expect(unknown.success).toBe(false);
    expect(noBackup.success).toBe(false);
  });
});
