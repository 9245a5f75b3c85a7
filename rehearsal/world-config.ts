import type { OrchestratorConfig } from '../lambdas/shared/config/blue-green-orchestrator';
import type { IntakeConfig } from '../lambdas/shared/config/deployment-intake';
import { type CoordinatorConfig, RESTORE_SWAP_RESERVE_POLLS } from '../lambdas/shared/config/rollback-coordinator';
import type { ApprovalDecision } from '../lambdas/shared/contracts';
import type { RollbackTrigger } from '../lambdas/shared/cutover-contracts';
import { SNAPSHOT_PREFIX } from '../lambdas/shared/rds-names';
import { SIM_DB_KMS_KEY, SIM_FENCE_SECURITY_GROUP } from './simulated-aws/rds-shapes';
import { SIM, type SimulatedProductionOptions } from './simulated-production';
import type { VerifierWorldOptions } from './verifier-world';

/**
 * What a simulated world is made of before it runs: the scenario's options (WorldOptions), the Chairman's default
 * answer, the input and weights the tests expect, the intake's settings, the stack's alarms and their routes, and
 * the BlueGreenOrchestrator's and RollbackCoordinator's configs as the stack would give them.
 */

export type Answer = 'approve' | 'reject' | 'never';

export interface WorldOptions extends SimulatedProductionOptions, VerifierWorldOptions {
  readonly input?: unknown;
  readonly approval?: Answer;
  readonly databaseRollbackApproval?: Answer;
  /** How long the Chairman takes to approve or reject (simulated seconds); `never` waits the approval's timeout. @default 300 */
  readonly approvalAnswerSeconds?: number;
  /** The Chairman's override, sent at the start of the bake at this green weight. */
  readonly overrideAtGreenWeight?: number;
  /** This alarm enters ALARM while the Chairman is being asked (the lock is held, no side resolved yet). */
  readonly alarmDuringApproval?: string;
  /** This alarm enters ALARM while green is being provisioned (before its first readiness check). */
  readonly alarmWhileProvisioning?: string;
  readonly autoDatabaseRollback?: boolean;
  readonly inconclusiveAllowance?: number;
  /** How long a verdict waits for a bake's late datapoints; default 300 s. */
  readonly metricsMaxWaitSeconds?: number;
  readonly settings?: Partial<IntakeConfig['settings']>;
  /** Bake time per canary step (the intake's default); default 300 s. */
  readonly bakeSeconds?: number;
  readonly executionName?: string;
  /** This alarm enters ALARM this many seconds into the post-promotion watch. */
  readonly alarmInWatch?: { readonly alarmName: string; readonly afterSeconds: number };
  /** Someone outside the crew sets green to this weight during the watch (the old side gets traffic again). */
  readonly greenWeightSetInWatch?: number;
  /** Another execution holds the deployment lock when this one starts. */
  readonly lockHeldBy?: LockHeldBy;
}

export interface LockHeldBy {
  /** The other execution's name. */
  readonly holder: string;
  /** @default 'HELD' */
  readonly lockState?: 'HELD' | 'ESCALATED';
  /** Seconds from now (wall clock, as the intake's lock time) until the other lock expires; negative: expired. @default 3600 */
  readonly expiresInSeconds?: number;
}

/** How long the simulated Chairman takes to answer an approval by default. */
export const DEFAULT_APPROVAL_ANSWER_SECONDS = 300;

export const APPROVED: ApprovalDecision = {
  approved: true,
  kind: 'START',
  approver: { identity: 'arn:aws:iam::123456789012:user/chairman', verified: true },
  answeredAt: '2026-11-24T10:05:00.000Z',
};

/**
 * The green weights that reach the listener in a promoted deployment: the canary steps, then the rollback dry run's
 * re-write of the listener exactly as it read it (100 % green), which proves the rollback's ModifyListener works.
 */
export const PROMOTED_WEIGHTS = [10, 50, 100, 100];

export const VALID_INPUT = {
  release: { version: '1.4.0', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0', schemaChange: false },
  requestedBy: 'alice@shop.example.com',
};

export function intakeConfig(overrides: Partial<IntakeConfig['settings']> = {}): IntakeConfig {
  return {
    defaultApprovalTimeoutSeconds: 86400,
    defaultBakeSeconds: 300,
    lockTtlSeconds: 867600,
    migrationConfigured: true,
    settings: {
      snapshotPollSeconds: 30,
      snapshotMaxPolls: 5,
      greenPollSeconds: 30,
      greenMaxPolls: 6,
      migrationPollSeconds: 30,
      migrationMaxPolls: 6,
      canarySteps: [10, 50, 100],
      rollbackVerifySeconds: 120,
      databaseRollbackApprovalTimeoutSeconds: 3600,
      restorePollSeconds: 60,
      restoreMaxPolls: 10 + RESTORE_SWAP_RESERVE_POLLS,
      scaleDownGreenAfterRollback: false,
      blueRetentionSeconds: 3600,
      ...overrides,
    },
  };
}

const alarmsOf = (group: string) => ({
  errorRate: `${SIM.alarmPrefix}-${group}-error-rate`,
  p95Latency: `${SIM.alarmPrefix}-${group}-p95-latency`,
  noHealthyTargets: `${SIM.alarmPrefix}-${group}-no-healthy-targets`,
});
const ALARMS = {
  blue: alarmsOf('shop-blue'),
  green: alarmsOf('shop-green'),
  database: `${SIM.alarmPrefix}-db-connections`,
};
/** Alarm name → the target group it watches (null: the database) and the trigger it is recorded as. */
export const ALARM_ROUTES: Record<string, { targetGroupArn: string | null; trigger: RollbackTrigger }> =
  Object.fromEntries([
    ...(
      [
        [ALARMS.blue, SIM.blueTargetGroupArn],
        [ALARMS.green, SIM.greenTargetGroupArn],
      ] as const
    ).flatMap(([alarms, targetGroupArn]) => [
      [alarms.errorRate, { targetGroupArn, trigger: 'ERROR_RATE' as const }],
      [alarms.p95Latency, { targetGroupArn, trigger: 'LATENCY' as const }],
      [alarms.noHealthyTargets, { targetGroupArn, trigger: 'HEALTH_CHECK_FAILED' as const }],
    ]),
    [ALARMS.database, { targetGroupArn: null, trigger: 'DB_CONNECTIONS' as const }],
  ]);

/** What the agents' configs share with the tools the world builds around them. */
export interface WorldWiring {
  readonly database: OrchestratorConfig['database'];
  readonly thresholds: OrchestratorConfig['thresholds'];
  readonly tableName: string;
  readonly lockKey: string;
}

/** The BlueGreenOrchestrator's config for the simulated stack. */
export function orchestratorConfigFor(options: WorldOptions, wiring: WorldWiring): OrchestratorConfig {
  const { database, thresholds, tableName, lockKey } = wiring;
  return {
    listenerArn: SIM.listenerArn,
    sides: [
      { targetGroupArn: SIM.blueTargetGroupArn, serviceName: SIM.blueServiceName },
      { targetGroupArn: SIM.greenTargetGroupArn, serviceName: SIM.greenServiceName },
    ],
    clusterName: SIM.clusterName,
    taskDefinitionFamily: SIM.taskDefinitionFamily,
    migrationCommand: ['npm', 'run', 'migrate'],
    thresholds,
    inconclusiveAllowance: options.inconclusiveAllowance ?? 2,
    database,
    dbMaxConnections: SIM.dbMaxConnections,
    alarms: {
      byTargetGroup: {
        [SIM.blueTargetGroupArn]: Object.values(ALARMS.blue),
        [SIM.greenTargetGroupArn]: Object.values(ALARMS.green),
      },
      shared: [ALARMS.database],
    },
    metrics: { maxWaitSeconds: options.metricsMaxWaitSeconds ?? 300, expectedDelaySeconds: 90, baselineMinutes: 15 },
    alarmTriggers: Object.fromEntries(Object.entries(ALARM_ROUTES).map(([name, route]) => [name, route.trigger])),
    tableName,
    lockKey,
    eventBusName: 'default',
  };
}

/** The RollbackCoordinator's config for the simulated stack; its last fence poll follows the intake's restore polls. */
export function coordinatorConfigFor(
  options: WorldOptions,
  wiring: WorldWiring,
  config: IntakeConfig,
): CoordinatorConfig {
  const { database, thresholds, tableName, lockKey } = wiring;
  return {
    listenerArn: SIM.listenerArn,
    clusterName: SIM.clusterName,
    database,
    autoDatabaseRollback: options.autoDatabaseRollback ?? false,
    errorRatePercent: thresholds.errorRatePercent,
    allowedRestoreResources: {
      subnetGroups: ['shop-prod-db-subnets'],
      parameterGroups: ['shop-postgres16'],
      optionGroups: ['default:postgres-16'],
      clusterParameterGroups: [],
    },
    restore: {
      fenceSecurityGroupId: SIM_FENCE_SECURITY_GROUP,
      acknowledgedBreaks: [],
      keepTemporaryCopyOnFailure: false,
      kmsKeyArn: SIM_DB_KMS_KEY,
      snapshotPrefix: SNAPSHOT_PREFIX,
      lastFencePoll: Math.max(1, config.settings.restoreMaxPolls - RESTORE_SWAP_RESERVE_POLLS),
    },
    metricsLagSeconds: 60,
    verifyWindowSeconds: 120,
    tableName,
    lockKey,
    region: SIM.region,
    eventBusName: 'default',
  };
}
