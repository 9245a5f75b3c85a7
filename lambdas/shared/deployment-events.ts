import * as z from 'zod/mini';
import { deploymentPhaseSchema, rollbackTriggerSchema, rollbackTypeSchema } from './cutover-contracts';
import type { SdkClientLimits } from './sdk-budget';
import { deferred, nonEmptyString, nonNegativeNumber, parse } from './validation';

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

const instant = z.iso.datetime({ offset: true });

/** Fields every in-flight event's detail carries. */
const common = {
  deployment: z.string().check(z.minLength(1), z.describe('The deployment: the Step Functions execution name.')),
  at: instant.check(z.describe('When the agent published the event (ISO 8601).')),
  schemaVersion: z.literal(DEPLOYMENT_EVENTS_SCHEMA_VERSION),
};

/** The deployment's phases as events name them (the lock's VALIDATION is before any phase an event reports). */
export const eventPhaseSchema = z.enum([
  'PROVISIONING',
  'MIGRATION',
  'CUTOVER',
  'PROMOTED',
  'WATCHING',
  'RETIRED',
  'ROLLING_BACK',
]);
export type EventPhase = z.output<typeof eventPhaseSchema>;

const greenPercent = z.int().check(z.gte(0), z.lte(100));
const secondsUntilEffective = z
  .nullable(nonNegativeNumber)
  .check(
    z.describe('From the trigger (or the shift request) to the confirming re-read, in seconds; null when unknown.'),
  );

/** How a rollback ended, for `Rollback Finished`. */
export const rollbackOutcomeSchema = z.enum([
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
export type RollbackOutcome = z.output<typeof rollbackOutcomeSchema>;

/** The in-flight events, published by the agents, by detail-type. */
export const deploymentEventDetailSchemas = {
  'Deployment Phase Changed': deferred(() =>
    z
      .strictObject({
        ...common,
        phase: eventPhaseSchema,
        previousPhase: z
          .nullable(eventPhaseSchema)
          .check(z.describe('Null when the deployment had no phase yet (validation).')),
      })
      .check(z.describe('The deployment entered a phase.')),
  ),
  'Traffic Shifted': deferred(() =>
    z
      .strictObject({
        ...common,
        fromGreenWeight: greenPercent.check(z.describe("Green's share of the traffic before the shift, in percent.")),
        toGreenWeight: greenPercent.check(
          z.describe("Green's share after the shift, in percent, as the re-read confirmed it."),
        ),
        liveTargetGroupArn: nonEmptyString,
        greenTargetGroupArn: nonEmptyString,
        confirmedAt: instant.check(z.describe('When a re-read of the listener showed the new weights.')),
        secondsUntilEffective,
      })
      .check(z.describe("The listener's weights changed and a re-read confirmed them.")),
  ),
  'Rollback Started': deferred(() =>
    z
      .strictObject({
        ...common,
        trigger: rollbackTriggerSchema,
        phase: deploymentPhaseSchema.check(z.describe('Where the deployment was when the trigger fired.')),
        reason: z.string(),
        type: rollbackTypeSchema.check(z.describe("The decision tree's rollback type.")),
        detectedAt: z.string().check(z.minLength(1), z.describe('When the trigger was detected (ISO 8601).')),
      })
      .check(z.describe('The RollbackCoordinator took the rollback on and decided its type.')),
  ),
  'Rollback Traffic Restored': deferred(() =>
    z
      .strictObject({
        ...common,
        trigger: rollbackTriggerSchema,
        restoredAt: instant.check(
          z.describe(
            'The last confirmation of the listener back at 100 % live (later than confirmedAt when a step-up that ' +
              'landed after the first restore had to be undone).',
          ),
        ),
        confirmedAt: instant.check(
          z.describe('The first re-read that showed live 100 / green 0: the weight was effective.'),
        ),
        secondsUntilEffective,
      })
      .check(
        z.describe('Traffic is back on the live side: listener confirmed, live targets healthy, live errors checked.'),
      ),
  ),
  'Rollback Database Restored': deferred(() =>
    z
      .strictObject({
        ...common,
        trigger: rollbackTriggerSchema,
        snapshotIdentifier: nonEmptyString,
        restoredAt: instant.check(z.describe('When the restored copy was seen available under the original name.')),
      })
      .check(
        z.describe("The database runs on the deployment's snapshot: every write after it is lost from production."),
      ),
  ),
  'Rollback Failed': deferred(() =>
    z
      .strictObject({
        ...common,
        executionArn: nonEmptyString,
        error: z.literal('RollbackFailed'),
        code: z.literal('DEPLOY-003'),
        trigger: rollbackTriggerSchema,
        reason: z.string().check(z.describe("Why the rollback failed: the failed step's error message.")),
        failedStep: z
          .string()
          .check(z.minLength(1), z.describe('The error name of the step that failed (e.g. LiveUnhealthy).')),
      })
      .check(z.describe('The rollback failed and is being escalated (sent before the runbook goes to the Chairman).')),
  ),
  'Rollback Finished': deferred(() =>
    z
      .strictObject({
        ...common,
        trigger: rollbackTriggerSchema,
        type: z.nullable(rollbackTypeSchema).check(z.describe('Null when no decision was recorded.')),
        outcome: rollbackOutcomeSchema,
      })
      .check(z.describe('The rollback ran to its end; the lock is released next.')),
  ),
} as const;

export type DeploymentEventType = keyof typeof deploymentEventDetailSchemas;
export type DeploymentEventDetail<T extends DeploymentEventType> = z.output<(typeof deploymentEventDetailSchemas)[T]>;

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
 * The PutEvents entry of an in-flight event. Throws (ZodError) when the detail does not match its schema: that is a
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
