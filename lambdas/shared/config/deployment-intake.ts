import * as v from 'valibot';
import { workflowSettingsSchema } from '../contracts';
import { positiveInt, strictObject } from '../validation';
import { jsonEnvironmentVariable } from './environment';

/** Stack-level settings the intake applies to every execution (from the construct's props). */
export const intakeConfigSchema = strictObject({
  defaultApprovalTimeoutSeconds: positiveInt,
  defaultBakeSeconds: positiveInt,
  /** How long the lock may outlive a crashed execution before another deployment may take it over. */
  lockTtlSeconds: positiveInt,
  /** Whether the stack has a migration command: a schema change cannot be deployed without one. */
  migrationConfigured: v.boolean(),
  /** The rest of the settings, the same for every execution. */
  settings: v.omit(workflowSettingsSchema, ['approvalTimeoutSeconds', 'bakeSeconds']),
});
export type IntakeConfig = v.InferOutput<typeof intakeConfigSchema>;

/** `INTAKE_CONFIG`: written by the stack, read by the intake on its cold start. */
export const INTAKE_CONFIG = jsonEnvironmentVariable('INTAKE_CONFIG', intakeConfigSchema);
