import * as v from 'valibot';
import { deploymentPhaseSchema, rollbackTriggerSchema, rollbackTypeSchema } from './cutover-contracts';
import type { SdkClientLimits } from './sdk-budget';
import { isoInstant, nonEmptyString, nonNegativeNumber, parse, strictObject, wholePercent } from './validation';

/**
 * The crew's EventBridge events: source `deployment-crew`, one `detail` shape per detail-type. The in-flight events
 * (phase changes, traffic shifts, each rollback step) are published by the agents through the event publisher tool;
 * the three outcome events are sent by the state machine itself (its Emit* states). docs/deployment-events.md says
 * when each is sent; docs/deployment-events.schema.json is generated from these schemas (a test keeps it in step).
 */

export const DEPLOYMENT_EVENT_SOURCE = 'deployment-crew';

/** Bumped with any change to an in-flight event's fields: consumers can tell shapes apart without guessing. */
export const DEPLOYMENT_EVENTS_SCHEMA_VERSION = 1;

/** `deployment`, `at` and `schemaVersion`, the fields every in-flight event's detail starts with. */
export function eventStamp(deployment: string, now: Date) {
  return { deployment, at: now.toISOString(), schemaVersion: DEPLOYMENT_EVENTS_SCHEMA_VERSION } as const;
}

/**
 * The publisher's SDK limits: an event is a hook for other systems, never worth holding up a rollback or a cutover
 * for, so one quick retry and short timeouts (the agents' other clients allow 3 attempts of 10 s).
 */
export const EVENT_PUBLISHER_SDK_LIMITS: SdkClientLimits = {
  maxAttempts: 2,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
};

const instant = isoInstant;

/** Fields every in-flight event's detail carries. */
const common = {
  deployment: v.pipe(v.string(), v.minLength(1), v.description('The deployment: the Step Functions execution name.')),
  at: v.pipe(instant, v.description('When the agent published the event (ISO 8601).')),
  schemaVersion: v.literal(DEPLOYMENT_EVENTS_SCHEMA_VERSION),
};

/** The deployment's phases as events name them (the lock's VALIDATION is before any phase an event reports). */
export const eventPhaseSchema = v.picklist([
  'PROVISIONING',
  'MIGRATION',
  'CUTOVER',
  'PROMOTED',
  'WATCHING',
  'RETIRED',
  'ROLLING_BACK',
]);
export type EventPhase = v.InferOutput<typeof eventPhaseSchema>;

const secondsUntilEffective = v.pipe(
  v.nullable(nonNegativeNumber),
  v.description('From the trigger (or the shift request) to the confirming re-read, in seconds; null when unknown.'),
);

/** How a rollback ended, for `Rollback Finished`. */
export const rollbackOutcomeSchema = v.picklist([
  /** Everything the decision asked for was done. */
  'ROLLED_BACK',
  /** Traffic is back (if it had moved), but the database part was declined, refused or not finished. */
  'DATABASE_NOT_RESTORED',
  /** The decision was `none`: nothing had changed that needed undoing. */
  'NOTHING_TO_UNDO',
  /** A step recorded a failure on the timeline. */
  'INCOMPLETE',
  /** No decision was recorded. */
  'UNDECIDED',
]);
export type RollbackOutcome = v.InferOutput<typeof rollbackOutcomeSchema>;

/** The in-flight events, published by the agents, by detail-type. */
export const deploymentEventDetailSchemas = {
  'Deployment Phase Changed': v.pipe(
    strictObject({
      ...common,
      phase: eventPhaseSchema,
      previousPhase: v.pipe(
        v.nullable(eventPhaseSchema),
        v.description('Null when the deployment had no phase yet (validation).'),
      ),
    }),
    v.description('The deployment entered a phase.'),
  ),
  'Traffic Shifted': v.pipe(
    strictObject({
      ...common,
      fromGreenWeight: v.pipe(
        wholePercent,
        v.description("Green's share of the traffic before the shift, in percent."),
      ),
      toGreenWeight: v.pipe(
        wholePercent,
        v.description("Green's share after the shift, in percent, as the re-read confirmed it."),
      ),
      liveTargetGroupArn: nonEmptyString,
      greenTargetGroupArn: nonEmptyString,
      confirmedAt: v.pipe(instant, v.description('When a re-read of the listener showed the new weights.')),
      secondsUntilEffective,
    }),
    v.description("The listener's weights changed and a re-read confirmed them."),
  ),
  'Rollback Started': v.pipe(
    strictObject({
      ...common,
      trigger: rollbackTriggerSchema,
      phase: v.pipe(deploymentPhaseSchema, v.description('Where the deployment was when the trigger fired.')),
      reason: v.string(),
      type: v.pipe(rollbackTypeSchema, v.description("The decision tree's rollback type.")),
      detectedAt: v.pipe(v.string(), v.minLength(1), v.description('When the trigger was detected (ISO 8601).')),
    }),
    v.description('The RollbackCoordinator took the rollback on and decided its type.'),
  ),
  'Rollback Traffic Restored': v.pipe(
    strictObject({
      ...common,
      trigger: rollbackTriggerSchema,
      restoredAt: v.pipe(
        instant,
        v.description(
          'The last confirmation of the listener back at 100 % live (later than confirmedAt when a step-up that ' +
            'landed after the first restore had to be undone).',
        ),
      ),
      confirmedAt: v.pipe(
        instant,
        v.description('The first re-read that showed live 100 / green 0: the weight was effective.'),
      ),
      secondsUntilEffective,
    }),
    v.description('Traffic is back on the live side: listener confirmed, live targets healthy, live errors checked.'),
  ),
  'Rollback Database Restored': v.pipe(
    strictObject({
      ...common,
      trigger: rollbackTriggerSchema,
      snapshotIdentifier: nonEmptyString,
      restoredAt: v.pipe(instant, v.description('When the restored copy was seen available under the original name.')),
    }),
    v.description("The database runs on the deployment's snapshot: every write after it is lost from production."),
  ),
  'Rollback Failed': v.pipe(
    strictObject({
      ...common,
      executionArn: nonEmptyString,
      error: v.literal('RollbackFailed'),
      code: v.literal('DEPLOY-003'),
      trigger: rollbackTriggerSchema,
      reason: v.pipe(v.string(), v.description("Why the rollback failed: the failed step's error message.")),
      failedStep: v.pipe(
        v.string(),
        v.minLength(1),
        v.description('The error name of the step that failed (e.g. LiveUnhealthy).'),
      ),
    }),
    v.description('The rollback failed and is being escalated (sent before the runbook goes to the Chairman).'),
  ),
  'Rollback Finished': v.pipe(
    strictObject({
      ...common,
      trigger: rollbackTriggerSchema,
      type: v.pipe(v.nullable(rollbackTypeSchema), v.description('Null when no decision was recorded.')),
      outcome: rollbackOutcomeSchema,
    }),
    v.description('The rollback ran to its end; the lock is released next.'),
  ),
} as const;

export type DeploymentEventType = keyof typeof deploymentEventDetailSchemas;
export type DeploymentEventDetail<T extends DeploymentEventType> = v.InferOutput<
  (typeof deploymentEventDetailSchemas)[T]
>;

/** The agents' detail-types, in the order a deployment (and its rollback) sends them. */
export const DEPLOYMENT_EVENT_TYPES = Object.keys(deploymentEventDetailSchemas) as readonly DeploymentEventType[];

/** One PutEvents entry, structurally the SDK's PutEventsRequestEntry (lambdas/shared imports no AWS client). */
export interface DeploymentEventEntry<T extends DeploymentEventType = DeploymentEventType> {
  readonly EventBusName: string;
  readonly Source: typeof DEPLOYMENT_EVENT_SOURCE;
  readonly DetailType: T;
  readonly Detail: string;
  /** The detail's `at`: the envelope's `time` is when the agent saw it, not when PutEvents ran. */
  readonly Time: Date;
}

/**
 * The PutEvents entry of an in-flight event. Throws (ValiError) when the detail does not match its schema: that is a
 * programming error, never a reason to send a malformed event.
 */
export function deploymentEventEntry<T extends DeploymentEventType>(
  busName: string,
  type: T,
  detail: DeploymentEventDetail<T>,
): DeploymentEventEntry<T> {
  // The map's value for T parses to DeploymentEventDetail<T>; TypeScript cannot narrow an indexed union itself.
  const parsed = parse(deploymentEventDetailSchemas[type], detail) as DeploymentEventDetail<T>;
  return {
    EventBusName: busName,
    Source: DEPLOYMENT_EVENT_SOURCE,
    DetailType: type,
    Detail: JSON.stringify(parsed),
    Time: new Date(parsed.at),
  };
}
