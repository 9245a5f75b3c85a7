import * as v from 'valibot';
import {
  approvalDecisionSchema,
  type BackupMetadata,
  backupMetadataSchema,
  type DependencyMatrix,
  type DependencyStatus,
  deploymentRefSchema,
  type SnapshotRef,
  snapshotRefSchema,
  type ValidationReport,
} from '../shared/contracts';
import { dependencyMatrixSchema } from '../shared/dependency-matrix';
import { releaseSchema } from '../shared/deployment-request';
import { PreDeploymentValidationFailedError } from '../shared/errors';
import { nonEmptyString, nonNegativeInt, strictObject } from '../shared/validation';
import type { BackupTool } from '../tools/backup';
import { type DependencyMonitor, describeFailure } from '../tools/dependency-monitor';
import { buildValidationReport } from './report';

/**
 * The pre-deployment validator agent: one Lambda, one action per state-machine task. It changes nothing in
 * production except creating the deployment's snapshot.
 */

export const checkHealthRequestSchema = strictObject({
  action: v.literal('checkHealth'),
  deployment: deploymentRefSchema,
});

export const createSnapshotRequestSchema = strictObject({
  action: v.literal('createSnapshot'),
  deployment: deploymentRefSchema,
});

export const describeSnapshotRequestSchema = strictObject({
  action: v.literal('describeSnapshot'),
  deployment: deploymentRefSchema,
  snapshot: snapshotRefSchema,
  /** Describe calls made so far for this snapshot; the state machine bounds the loop with it. */
  polls: nonNegativeInt,
});

export const verifySnapshotRequestSchema = strictObject({
  action: v.literal('verifySnapshot'),
  deployment: deploymentRefSchema,
  snapshot: snapshotRefSchema,
});

export const buildReportRequestSchema = strictObject({
  action: v.literal('buildReport'),
  deployment: deploymentRefSchema,
  release: releaseSchema,
  requestedBy: nonEmptyString,
  approval: approvalDecisionSchema,
  health: dependencyMatrixSchema,
  backup: backupMetadataSchema,
});

export const preDeploymentRequestSchema = v.variant('action', [
  checkHealthRequestSchema,
  createSnapshotRequestSchema,
  describeSnapshotRequestSchema,
  verifySnapshotRequestSchema,
  buildReportRequestSchema,
]);

export type PreDeploymentRequest = v.InferOutput<typeof preDeploymentRequestSchema>;
export type PreDeploymentAction = PreDeploymentRequest['action'];
export type PreDeploymentRequestFor<A extends PreDeploymentAction> = Extract<PreDeploymentRequest, { action: A }>;

/** Where the snapshot is in its Wait/describe loop. */
export interface SnapshotProgress {
  readonly snapshot: SnapshotRef;
  /** As RDS reports it: `creating`, `available`, `failed`, … */
  readonly status: string;
  readonly polls: number;
}

export interface PreDeploymentResults {
  readonly checkHealth: DependencyMatrix;
  readonly createSnapshot: SnapshotProgress;
  readonly describeSnapshot: SnapshotProgress;
  readonly verifySnapshot: BackupMetadata;
  readonly buildReport: ValidationReport;
}

export interface PreDeploymentValidatorTools {
  readonly dependencyMonitor: DependencyMonitor;
  readonly backup: BackupTool;
  readonly clock?: () => Date;
}

export type PreDeploymentValidator = <A extends PreDeploymentAction>(
  request: PreDeploymentRequestFor<A>,
) => Promise<PreDeploymentResults[A]>;

export function createPreDeploymentValidator(tools: PreDeploymentValidatorTools): PreDeploymentValidator {
  const clock = tools.clock ?? (() => new Date());

  const handlers: {
    [A in PreDeploymentAction]: (request: PreDeploymentRequestFor<A>) => Promise<PreDeploymentResults[A]>;
  } = {
    async checkHealth() {
      const matrix = await tools.dependencyMonitor.check();
      if (!matrix.healthy) throw new PreDeploymentValidationFailedError(describeFailedChecks(matrix));
      return matrix;
    },
    async createSnapshot({ deployment }) {
      const created = await tools.backup.create(deployment);
      const snapshot: SnapshotRef = {
        kind: created.kind,
        identifier: created.identifier,
        arn: created.arn,
        sourceIdentifier: created.sourceIdentifier,
        requestedAt: created.requestedAt,
      };
      return { snapshot, status: created.status, polls: 0 };
    },
    async describeSnapshot({ snapshot, polls }) {
      const { status } = await tools.backup.describe(snapshot);
      return { snapshot, status, polls: polls + 1 };
    },
    async verifySnapshot({ snapshot, deployment }) {
      return tools.backup.verify(snapshot, deployment);
    },
    async buildReport(request) {
      return buildValidationReport(request, clock().toISOString());
    },
  };

  return <A extends PreDeploymentAction>(request: PreDeploymentRequestFor<A>) => {
    const handle = handlers[request.action] as (
      request: PreDeploymentRequestFor<A>,
    ) => Promise<PreDeploymentResults[A]>;
    return handle(request);
  };
}

/** e.g. `2 critical checks failed: api (health-endpoint): HTTP 503, expected 200, 12 ms, 3 attempts; …` */
export function describeFailedChecks(matrix: DependencyMatrix): string {
  const failed = matrix.entries.filter((entry) => entry.critical && entry.status === 'DOWN');
  const count = failed.length === 1 ? '1 critical check failed' : `${failed.length} critical checks failed`;
  return `${count}: ${failed.map(describeFailedCheck).join('; ')}`;
}

function describeFailedCheck(entry: DependencyStatus): string {
  const tries = entry.attempts === 1 ? '1 attempt' : `${entry.attempts} attempts`;
  const reason = describeFailure(entry);
  return `${entry.name} (${entry.kind}): ${reason.length > 200 ? `${reason.slice(0, 197)}...` : reason}, ${entry.latencyMs} ms, ${tries}`;
}
