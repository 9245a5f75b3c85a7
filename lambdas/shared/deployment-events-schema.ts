import * as v from 'valibot';
import {
  deploymentPhaseSchema,
  rollbackDecisionSchema,
  rollbackStateSchema,
  rollbackTriggerSchema,
  timelineEntrySchema,
} from './cutover-contracts';
import {
  DEPLOYMENT_EVENT_SOURCE,
  DEPLOYMENT_EVENT_TYPES,
  type DeploymentEventType,
  deploymentEventDetailSchemas,
} from './deployment-events';
import { documentedJsonSchema } from './json-schema';
import { looseObject, nonEmptyString, strictObject } from './validation';

/**
 * What documents the crew's events and is no Lambda's business: the state machine's outcome events (their Detail is
 * written in the ASL; these schemas describe it) and the JSON Schema of every event (docs/deployment-events.schema.json,
 * kept in step by a test). Apart from deployment-events.ts, so that the agents publishing events do not build these
 * schemas when they load.
 */

/** Fields the state machine's outcome events share. */
const outcome = {
  deployment: v.pipe(v.string(), v.minLength(1), v.description('The deployment: the Step Functions execution name.')),
  executionArn: nonEmptyString,
};

/**
 * The outcome events, sent by the state machine (EmitFailureEvent, EmitRollbackEvent, EmitEscalationEvent): their
 * Detail is written in statemachine/deployment-crew.asl.json; these schemas document it. They carry no `at` and no
 * schemaVersion: the envelope's `time` says when.
 */
export const outcomeEventDetailSchemas = {
  'Deployment Failed': v.pipe(
    strictObject({
      ...outcome,
      error: v.pipe(v.string(), v.description('The error name (InvalidInput, ApprovalRejected, BackupFailed, …).')),
      code: v.pipe(
        v.nullable(v.string()),
        v.description('DEPLOY-001 for a failed pre-deployment validation; null otherwise.'),
      ),
      message: v.string(),
      cause: v.pipe(v.string(), v.description("The failed step's Cause.")),
    }),
    v.description('The deployment stopped before the cutover (or before any traffic moved).'),
  ),
  'Deployment Rolled Back': v.pipe(
    strictObject({
      ...outcome,
      error: v.literal('DeploymentRolledBack'),
      code: v.literal('DEPLOY-002'),
      trigger: rollbackTriggerSchema,
      phase: deploymentPhaseSchema,
      reason: v.string(),
      decision: v.nullable(rollbackDecisionSchema),
      timeline: v.array(timelineEntrySchema),
    }),
    v.description('A rollback ran to completion; the lock was released.'),
  ),
  'Rollback Failed': v.pipe(
    strictObject({
      ...outcome,
      error: v.literal('RollbackFailed'),
      code: v.literal('DEPLOY-003'),
      failure: looseObject({ Error: v.optional(v.string()), Cause: v.optional(v.string()) }),
      rollback: rollbackStateSchema,
    }),
    v.description('The rollback failed: the lock is kept (ESCALATED) and the Chairman has the runbook.'),
  ),
} as const;

export type OutcomeEventType = keyof typeof outcomeEventDetailSchemas;

/** Every detail-type with source `deployment-crew` (`Rollback Failed` is sent by both, see the docs). */
export const ALL_DETAIL_TYPES: readonly (DeploymentEventType | OutcomeEventType)[] = [
  ...new Set([...DEPLOYMENT_EVENT_TYPES, ...(Object.keys(outcomeEventDetailSchemas) as OutcomeEventType[])]),
];

/** `Traffic Shifted` → `TrafficShiftedDetail`, the detail's name in the JSON Schema's `$defs`. */
function detailDefinitionName(type: string, sender: 'agent' | 'state machine' = 'agent'): string {
  const base = type.replace(/\s+/g, '');
  return `${base}${sender === 'state machine' && type in deploymentEventDetailSchemas ? 'Outcome' : ''}Detail`;
}

function definitionOf(schema: v.GenericSchema): Record<string, unknown> {
  const { $schema: _dialect, ...definition } = documentedJsonSchema(schema, 'output');
  return definition;
}

/**
 * The documented JSON Schema (draft 2020-12) of every `deployment-crew` event as a rule's target receives it: the
 * envelope (any other envelope field allowed) with the detail-type's detail; `Rollback Failed` has either detail.
 */
export function deploymentEventsJsonSchema(): Record<string, unknown> {
  const definitions: Record<string, unknown> = {};
  const detailsByType = new Map<string, string[]>();
  const add = (type: string, sender: 'agent' | 'state machine', schema: v.GenericSchema) => {
    const name = detailDefinitionName(type, sender);
    definitions[name] = definitionOf(schema);
    detailsByType.set(type, [...(detailsByType.get(type) ?? []), name]);
  };
  for (const [type, schema] of Object.entries(deploymentEventDetailSchemas)) add(type, 'agent', schema);
  for (const [type, schema] of Object.entries(outcomeEventDetailSchemas)) add(type, 'state machine', schema);
  const refs = (names: string[]) => names.map((name) => ({ $ref: `#/$defs/${name}` }));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://deployment-crew.example/schemas/deployment-events.schema.json',
    title: 'DeploymentCrew EventBridge events',
    description:
      'Events with source deployment-crew, by detail-type. See docs/deployment-events.md for when each is sent.',
    oneOf: [...detailsByType].map(([type, names]) => ({
      type: 'object',
      properties: {
        source: { type: 'string', const: DEPLOYMENT_EVENT_SOURCE },
        'detail-type': { type: 'string', const: type },
        detail: names.length === 1 ? refs(names)[0] : { anyOf: refs(names) },
      },
      required: ['source', 'detail-type', 'detail'],
    })),
    $defs: definitions,
  };
}
