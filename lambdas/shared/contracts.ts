import * as v from 'valibot';
import type { releaseSchema } from './deployment-request';
import { nonEmptyString, positiveInt, strictObject } from './validation';

/**
 * Shapes that travel through the state machine between tasks. The ASL reads fields of these by path, so they are
 * the contract between `statemachine/deployment-crew.asl.json` and the Lambdas: add fields freely, rename none.
 */

/** Identifies one deployment (= one execution). `name` is the execution name, the key the Chairman answers by. */
export const deploymentRefSchema = strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(80)),
  executionArn: nonEmptyString,
  /** ISO-8601 start time of the execution. */
  startedAt: nonEmptyString,
});
export type DeploymentRef = v.InferOutput<typeof deploymentRefSchema>;

/** Tunables the ASL reads by path (Wait `SecondsPath`, Task `TimeoutSecondsPath`, loop bounds). */
export const workflowSettingsSchema = strictObject({
  approvalTimeoutSeconds: positiveInt,
  snapshotPollSeconds: positiveInt,
  snapshotMaxPolls: positiveInt,
  greenPollSeconds: positiveInt,
  greenMaxPolls: positiveInt,
  migrationPollSeconds: positiveInt,
  migrationMaxPolls: positiveInt,
  /** Green's share of traffic at each canary step, ending at 100. */
  canarySteps: v.pipe(v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(100))), v.minLength(1)),
  /** Bake time per step: the bake task's timeout. */
  bakeSeconds: positiveInt,
  /** Wait after a traffic rollback before checking the live side's numbers. */
  rollbackVerifySeconds: positiveInt,
  databaseRollbackApprovalTimeoutSeconds: positiveInt,
  restorePollSeconds: positiveInt,
  restoreMaxPolls: positiveInt,
  scaleDownGreenAfterRollback: v.boolean(),
  /** The post-promotion watch: the old side stays warm while the alarms and probes keep watching green. */
  blueRetentionSeconds: positiveInt,
});
export type WorkflowSettings = v.InferOutput<typeof workflowSettingsSchema>;

/** Output of the intake task: the validated request plus what the rest of the workflow needs. */
export interface DeploymentContext {
  readonly deployment: DeploymentRef;
  readonly release: v.InferOutput<typeof releaseSchema>;
  readonly requestedBy: string;
  readonly settings: WorkflowSettings;
  /** DynamoDB number attributes travel as strings. */
  readonly lock: { readonly expiresAt: string; readonly now: string };
}

export type DependencyKind = 'health-endpoint' | 'external-dependency';

/** One row of the dependency status matrix. */
export interface DependencyStatus {
  readonly name: string;
  readonly kind: DependencyKind;
  readonly url: string;
  readonly critical: boolean;
  readonly status: 'UP' | 'DOWN';
  readonly expectedStatus: number;
  /** HTTP status of the last attempt, null when no response arrived (timeout, DNS, connection refused). */
  readonly httpStatus: number | null;
  /** Latency of the last attempt in milliseconds. */
  readonly latencyMs: number;
  readonly attempts: number;
  readonly error?: string;
}

export interface DependencyMatrix {
  readonly checkedAt: string;
  /** False when any critical row is DOWN. */
  readonly healthy: boolean;
  readonly entries: readonly DependencyStatus[];
  /** Non-critical rows that are DOWN, in words: they go into the report as warnings. */
  readonly warnings: readonly string[];
}

export type DatabaseKind = 'instance' | 'cluster';

/** A snapshot being created; passed around the Wait/describe loop. */
export const snapshotRefSchema = strictObject({
  kind: v.picklist(['instance', 'cluster']),
  identifier: nonEmptyString,
  arn: nonEmptyString,
  sourceIdentifier: nonEmptyString,
  requestedAt: nonEmptyString,
});
export type SnapshotRef = v.InferOutput<typeof snapshotRefSchema>;

/** A verified snapshot: what the report and a database rollback rely on. */
export const backupMetadataSchema = strictObject({
  kind: v.picklist(['instance', 'cluster']),
  identifier: v.string(),
  arn: v.string(),
  sourceIdentifier: v.string(),
  createdAt: v.string(),
  engine: v.string(),
  engineVersion: v.string(),
  allocatedStorageGiB: v.pipe(v.number(), v.finite()),
  encrypted: v.boolean(),
  kmsKeyId: v.nullable(v.string()),
  status: v.literal('available'),
  verifiedAt: v.string(),
});
export type BackupMetadata = v.InferOutput<typeof backupMetadataSchema>;

export type ApprovalKind = 'START' | 'DATABASE_ROLLBACK';

/** Who answered an approval. `verified` is true when the identity came from IAM (function URL with AWS_IAM auth). */
export const approverSchema = strictObject({
  identity: v.string(),
  verified: v.boolean(),
});

/** What the approval task resolves with (the SendTaskSuccess output). */
export const approvalDecisionSchema = strictObject({
  approved: v.literal(true),
  kind: v.picklist(['START', 'DATABASE_ROLLBACK']),
  approver: approverSchema,
  answeredAt: v.string(),
  reason: v.optional(v.string()),
});
export type ApprovalDecision = v.InferOutput<typeof approvalDecisionSchema>;

/** The pre-deployment validation report, the execution's output in the foundation flow. */
export interface ValidationReport {
  readonly deployment: DeploymentRef;
  readonly release: v.InferOutput<typeof releaseSchema>;
  readonly requestedBy: string;
  readonly approval: ApprovalDecision;
  readonly dependencyMatrix: DependencyMatrix;
  readonly warnings: readonly string[];
  readonly backup: BackupMetadata;
  readonly passed: true;
  readonly generatedAt: string;
}
