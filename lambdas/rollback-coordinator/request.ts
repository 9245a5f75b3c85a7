import * as z from 'zod/mini';
import { backupMetadataSchema, deploymentRefSchema } from '../shared/contracts';
import {
  deploymentPhaseSchema,
  rollbackStateSchema,
  rollbackTriggerSchema,
  sidesSchema,
  timelineEntrySchema,
} from '../shared/cutover-contracts';
import { releaseSchema } from '../shared/deployment-request';
import { built, deferred } from '../shared/validation';

/** What the state machine sends the RollbackCoordinator: one request per step, told apart by `action`. */

const deployment = deploymentRefSchema;
const rollback = rollbackStateSchema;
export const coordinatorRequestSchema = deferred(() =>
  z.discriminatedUnion('action', [
    z.strictObject({
      action: z.literal('begin'),
      deployment,
      release: releaseSchema,
      trigger: z.strictObject({
        trigger: rollbackTriggerSchema,
        phase: deploymentPhaseSchema,
        reason: z.string(),
        cause: z.optional(z.nullable(z.string())),
        /** When the state machine recorded the trigger (its Record* state's `$$.State.EnteredTime`). */
        detectedAt: z.optional(z.string()),
      }),
    }),
    z.strictObject({ action: z.literal('rollbackTraffic'), deployment, sides: sidesSchema, rollback }),
    z.strictObject({ action: z.literal('verifyTraffic'), deployment, sides: sidesSchema, rollback }),
    z.strictObject({ action: z.literal('planDatabaseRestore'), deployment, rollback, backup: backupMetadataSchema }),
    z.strictObject({ action: z.literal('advanceDatabaseRestore'), deployment, rollback, backup: backupMetadataSchema }),
    z.strictObject({ action: z.literal('note'), rollback, entry: z.omit(built(timelineEntrySchema), { at: true }) }),
    z.strictObject({
      action: z.literal('finish'),
      deployment,
      release: releaseSchema,
      rollback,
      backup: z.optional(backupMetadataSchema),
    }),
    z.strictObject({
      action: z.literal('escalate'),
      deployment,
      sides: sidesSchema,
      rollback,
      failure: z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) }),
      backup: z.optional(backupMetadataSchema),
    }),
  ]),
);
export type CoordinatorRequest = z.output<typeof coordinatorRequestSchema>;
