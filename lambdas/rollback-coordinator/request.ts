import * as v from 'valibot';
import { backupMetadataSchema, deploymentRefSchema } from '../shared/contracts';
import {
  deploymentPhaseSchema,
  rollbackStateSchema,
  rollbackTriggerSchema,
  sidesSchema,
  timelineEntrySchema,
} from '../shared/cutover-contracts';
import { releaseSchema } from '../shared/deployment-request';
import { looseObject, strictObject } from '../shared/validation';

/** What the state machine sends the RollbackCoordinator: one request per step, told apart by `action`. */

const deployment = deploymentRefSchema;
const rollback = rollbackStateSchema;
export const coordinatorRequestSchema = v.variant('action', [
  strictObject({
    action: v.literal('begin'),
    deployment,
    release: releaseSchema,
    trigger: strictObject({
      trigger: rollbackTriggerSchema,
      phase: deploymentPhaseSchema,
      reason: v.string(),
      cause: v.optional(v.nullable(v.string())),
      /** When the state machine recorded the trigger (its Record* state's `$$.State.EnteredTime`). */
      detectedAt: v.optional(v.string()),
    }),
  }),
  strictObject({ action: v.literal('rollbackTraffic'), deployment, sides: sidesSchema, rollback }),
  strictObject({ action: v.literal('verifyTraffic'), deployment, sides: sidesSchema, rollback }),
  strictObject({ action: v.literal('planDatabaseRestore'), deployment, rollback, backup: backupMetadataSchema }),
  strictObject({ action: v.literal('advanceDatabaseRestore'), deployment, rollback, backup: backupMetadataSchema }),
  strictObject({ action: v.literal('note'), rollback, entry: v.omit(timelineEntrySchema, ['at']) }),
  strictObject({
    action: v.literal('finish'),
    deployment,
    release: releaseSchema,
    rollback,
    backup: v.optional(backupMetadataSchema),
  }),
  strictObject({
    action: v.literal('escalate'),
    deployment,
    sides: sidesSchema,
    rollback,
    failure: looseObject({ Error: v.optional(v.string()), Cause: v.optional(v.string()) }),
    backup: v.optional(backupMetadataSchema),
  }),
]);
export type CoordinatorRequest = v.InferOutput<typeof coordinatorRequestSchema>;
