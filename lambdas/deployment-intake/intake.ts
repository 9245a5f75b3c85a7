import * as v from 'valibot';
import type { IntakeConfig } from '../shared/config/deployment-intake';
import { type DeploymentContext, deploymentRefSchema, type WorkflowSettings } from '../shared/contracts';
import { deploymentRequestSchema } from '../shared/deployment-request';
import { InvalidInputError } from '../shared/errors';
import { describeIssues, nonEmptyString, parse, strictObject } from '../shared/validation';

/** What the state machine hands the intake: the raw execution input and the execution's identity. */
export const intakeEventSchema = strictObject({
  input: v.unknown(),
  execution: strictObject({
    name: nonEmptyString,
    id: nonEmptyString,
    startTime: nonEmptyString,
  }),
});
export type IntakeEvent = v.InferOutput<typeof intakeEventSchema>;

/** EventBridge delivers the detail of a "Release Candidate Ready" event; the console and the CLI send it bare. */
function unwrapEventBridgeEnvelope(input: unknown): unknown {
  if (typeof input === 'object' && input !== null && 'detail-type' in input && 'detail' in input) {
    return (input as { detail: unknown }).detail;
  }
  return input;
}

/**
 * Validates the execution input and derives what the workflow needs before anything is touched: the deployment's
 * identity, the effective settings, and the lock's expiry. A bad field is an `InvalidInput` error naming it.
 */
export function intake(event: IntakeEvent, config: IntakeConfig, now: Date = new Date()): DeploymentContext {
  const parsed = v.safeParse(deploymentRequestSchema, unwrapEventBridgeEnvelope(event.input));
  if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.issues));
  const request = parsed.output;

  if (request.release.schemaChange && !config.migrationConfigured) {
    throw new InvalidInputError(
      'release.schemaChange: true, but this stack has no migration command configured (prop migration)',
    );
  }
  const settings: WorkflowSettings = {
    ...config.settings,
    approvalTimeoutSeconds: request.options?.approvalTimeoutSeconds ?? config.defaultApprovalTimeoutSeconds,
    bakeSeconds: request.options?.bakeSeconds ?? config.defaultBakeSeconds,
  };
  const nowSeconds = Math.floor(now.getTime() / 1000);

  return {
    deployment: parse(deploymentRefSchema, {
      name: event.execution.name,
      executionArn: event.execution.id,
      startedAt: event.execution.startTime,
    }),
    release: request.release,
    requestedBy: request.requestedBy,
    settings,
    lock: { expiresAt: String(nowSeconds + config.lockTtlSeconds), now: String(nowSeconds) },
  };
}
