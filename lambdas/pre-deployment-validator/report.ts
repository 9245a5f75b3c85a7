import type {
  ApprovalDecision,
  BackupMetadata,
  DependencyMatrix,
  DeploymentRef,
  ValidationReport,
} from '../shared/contracts';
import type { Release } from '../shared/deployment-request';
import { PreDeploymentValidationFailedError } from '../shared/errors';

export interface ValidationReportInput {
  readonly deployment: DeploymentRef;
  readonly release: Release;
  readonly requestedBy: string;
  readonly approval: ApprovalDecision;
  readonly health: DependencyMatrix;
  readonly backup: BackupMetadata;
}

/**
 * Pure: assembles the pre-deployment validation report. The report only ever says `passed: true`, so an unhealthy
 * matrix is refused here too (it cannot reach this step through the state machine, which stops at `checkHealth`).
 */
export function buildValidationReport(input: ValidationReportInput, generatedAt: string): ValidationReport {
  if (!input.health.healthy) {
    throw new PreDeploymentValidationFailedError(
      'cannot report a passed validation: the dependency matrix has a critical check DOWN',
    );
  }
  return {
    deployment: input.deployment,
    release: input.release,
    requestedBy: input.requestedBy,
    approval: input.approval,
    dependencyMatrix: input.health,
    warnings: [...input.health.warnings],
    backup: input.backup,
    passed: true,
    generatedAt,
  };
}
