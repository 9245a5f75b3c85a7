import * as z from 'zod/mini';
import { bakeMinutesSchema } from './bake-minutes';
import { approverSchema, backupMetadataSchema, deploymentRefSchema, type ValidationReport } from './contracts';
import {
  canaryStateSchema,
  canaryStepRecordSchema,
  canaryThresholdsSchema,
  canaryVerdictSchema,
  deploymentPhaseSchema,
  greenEnvironmentSchema,
  migrationSchema,
  rollbackStateSchema,
  rollbackTriggerSchema,
  rollbackTypeSchema,
  sampleSummarySchema,
  sideSchema,
  sidesSchema,
  timelineEntrySchema,
} from './cutover-contracts';
import { dependencyMatrixSchema } from './dependency-matrix';
import { releaseSchema } from './deployment-request';
import { smokeReportSchema } from './smoke-suite';
import { built, deferred, nonEmptyString, nonNegativeInt, nonNegativeNumber, positiveInt } from './validation';
import { monitoringCheckResultSchema, rollbackDryRunResultSchema } from './verification';

/**
 * The deployment report, JSON (this schema; docs/deployment-report.schema.json is generated from it) and Markdown,
 * built from the execution's own state shapes: nothing in it is estimated, and a figure that was not recorded is null
 * with the reason. Seven parts: outcome, production URL, dashboard URLs, metrics, evidence, risks, handoff.
 */

/**
 * AWS Step Functions pricing, Standard workflows: $0.025 per 1,000 state transitions (retries count; waiting on a
 * task token or in a Wait state costs nothing), https://aws.amazon.com/step-functions/pricing/ (us-east-1 and most
 * regions; the monthly free tier of 4,000 transitions is not deducted here).
 */
export const STANDARD_WORKFLOW_USD_PER_1000_TRANSITIONS = 0.025;

export const DEPLOYMENT_REPORT_SCHEMA_VERSION = 2;

export const validationReportSchema = deferred(() =>
  z.strictObject({
    deployment: deploymentRefSchema,
    release: releaseSchema,
    requestedBy: z.string(),
    approval: z.strictObject({
      approved: z.literal(true),
      kind: z.enum(['START', 'DATABASE_ROLLBACK']),
      approver: approverSchema,
      answeredAt: z.string(),
      reason: z.optional(z.string()),
    }),
    dependencyMatrix: dependencyMatrixSchema,
    warnings: z.readonly(z.array(z.string())),
    backup: backupMetadataSchema,
    passed: z.literal(true),
    generatedAt: z.string(),
  }),
) satisfies z.ZodMiniType<ValidationReport>;

/** What the prober saw over the whole cutover (every bake's runs together). */
export const probeSummarySchema = deferred(() =>
  z.strictObject({
    runs: nonNegativeInt,
    rounds: nonNegativeInt,
    failedRounds: nonNegativeInt,
    /** Rounds whose result CloudWatch did not take: the dashboard and the probe alarms lack them. */
    publishFailures: z._default(nonNegativeInt, 0),
    /** The first failed probe of the run that declared green down; null when green never was. */
    greenDownSince: z.nullable(z.string()),
    /** The failures of that run, as the prober recorded them. */
    failures: z.array(z.string()),
  }),
);
export type ProbeSummary = z.output<typeof probeSummarySchema>;

/** The rollback dry-run (rollback_test): whether a rollback could run now, without changing traffic. */
export const rollbackDryRunSchema = rollbackDryRunResultSchema;

/** How the execution ended: promoted, rolled back, rollback failed (escalated), or failed before any traffic moved. */
export const deploymentOutcomeSchema = z.enum(['PROMOTED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'FAILED']);
export type DeploymentOutcome = z.output<typeof deploymentOutcomeSchema>;

const nullableSeconds = z.nullable(nonNegativeNumber);

/** A bake's summary in the report, with green's minutes for the chart (null: the record predates them). */
export const reportSampleSchema = deferred(() =>
  z.extend(built(sampleSummarySchema), { perMinute: z.nullable(bakeMinutesSchema) }),
);

/**
 * A bake as the report reads it from the canary history: the orchestrator's record, with when its verdict was decided
 * and green's minutes. Both are optional: a record written before they were kept has neither.
 */
const recordedBakeSchema = deferred(() =>
  z.extend(built(canaryStepRecordSchema).shape.bakes.def.element, {
    decidedAt: z.optional(z.string()),
    sample: z.extend(built(sampleSummarySchema), { perMinute: z.optional(bakeMinutesSchema) }),
  }),
);

/** The canary's state as the report reads it (see recordedBakeSchema). */
export const reportCanaryStateSchema = deferred(() =>
  z.extend(built(canaryStateSchema), {
    history: z.array(z.extend(built(canaryStepRecordSchema), { bakes: z.array(recordedBakeSchema) })),
  }),
);

export const deploymentReportSchema = deferred(() =>
  z.strictObject({
    schemaVersion: z.literal(DEPLOYMENT_REPORT_SCHEMA_VERSION),
    deployment: deploymentRefSchema,
    generatedAt: z.string(),
    outcome: z
      .strictObject({
        status: deploymentOutcomeSchema,
        summary: z.string(),
        release: releaseSchema,
        requestedBy: z.string(),
        approvedBy: z.nullable(approverSchema),
        startedAt: z.string(),
        finishedAt: z.string(),
        durationSeconds: nullableSeconds,
        rollback: z.nullable(
          z.strictObject({
            trigger: rollbackTriggerSchema,
            phase: deploymentPhaseSchema,
            type: z.nullable(rollbackTypeSchema),
            /**
             * Whether the database part of the decision was done: null when the decision had none (traffic only, or
             * undecided); false when it was declined, refused or failed, so `type` says what was decided, not done.
             */
            databaseRestored: z.nullable(z.boolean()),
            /** The alarm whose ALARM state triggered the rollback; null when no alarm did (a verdict, a person, …). */
            alarmName: z.nullable(z.string()),
            reason: z.string(),
          }),
        ),
        error: z.nullable(z.strictObject({ name: z.string(), message: z.string() })),
      })
      .check(z.describe('1. How the execution ended, for which release, requested and approved by whom.')),
    productionUrl: z.string().check(z.describe('2. The production URL the release serves on.')),
    dashboards: z
      .array(z.strictObject({ name: z.string(), url: z.string() }))
      .check(z.describe('3. The CloudWatch dashboards of the deployment.')),
    metrics: z
      .strictObject({
        phases: z.array(
          z.strictObject({
            phase: z.string(),
            startedAt: z.string(),
            endedAt: z.string(),
            durationSeconds: nullableSeconds,
          }),
        ),
        downtime: z.strictObject({
          /** Sum of the parts; null when a part is unknown. */
          totalSeconds: nullableSeconds,
          parts: z.array(z.strictObject({ cause: z.string(), seconds: nullableSeconds, basis: z.string() })),
        }),
        requestsServedByGreen: z.strictObject({
          requests: nonNegativeNumber,
          bakes: nonNegativeInt,
          basis: z.string(),
        }),
        /** Every shift and rollback: from the request to the listener re-read showing the weights. */
        weightEffective: z.array(
          z.strictObject({
            kind: z.enum(['shift', 'rollback']),
            greenWeight: z.int().check(z.gte(0), z.lte(100)),
            requestedAt: z.nullable(z.string()),
            confirmedAt: z.nullable(z.string()),
            seconds: nullableSeconds,
            unknownBecause: z.nullable(z.string()),
          }),
        ),
        stepFunctions: z.strictObject({
          stateTransitions: z.nullable(nonNegativeInt),
          usdPer1000Transitions: z.number(),
          costUsd: z.nullable(nonNegativeNumber),
        }),
      })
      .check(
        z.describe(
          '4. Duration per phase, downtime, requests served by green, time until weight effective for every shift and ' +
            'rollback, Step Functions state transitions and their cost. Null figures were not recorded.',
        ),
      ),
    evidence: z
      .strictObject({
        validation: z.nullable(validationReportSchema),
        backup: z.nullable(backupMetadataSchema),
        green: z.nullable(greenEnvironmentSchema),
        migration: z.nullable(migrationSchema),
        verdicts: z.array(
          z.strictObject({
            stepIndex: nonNegativeInt,
            greenWeight: z.int().check(z.gte(0), z.lte(100)),
            bake: positiveInt,
            startedAt: z.string(),
            endedAt: z.string(),
            /**
             * When the verdict was decided: the evaluation after the bake's late datapoints arrived, which can be
             * minutes after endedAt. Null when the record predates it.
             */
            decidedAt: z.nullable(z.string()),
            verdict: canaryVerdictSchema,
            sample: reportSampleSchema,
          }),
        ),
        /**
         * The canary thresholds the stack configured (the verifier's configuration carries the same resolved values as
         * the orchestrator's and the alarms'): what the verdicts and the alarms judged against. Null when not known.
         */
        thresholds: z.nullable(canaryThresholdsSchema),
        smoke: z.strictObject({ preTraffic: z.nullable(smokeReportSchema), production: z.nullable(smokeReportSchema) }),
        probes: z.nullable(probeSummarySchema),
        /** The monitoring check after 100 % (monitoring_setup); null when it did not run. */
        monitoring: z.nullable(monitoringCheckResultSchema),
        rollbackDryRun: z.nullable(rollbackDryRunSchema),
        rollbackTimeline: z.array(timelineEntrySchema),
      })
      .check(
        z.describe(
          '5. Validation report, backup metadata, the verdict of every canary bake with its numbers and the minutes of ' +
            'green, the thresholds, smoke results, probe summary, rollback dry-run, rollback timeline.',
        ),
      ),
    risks: z
      .array(
        z.strictObject({
          severity: z.enum(['high', 'medium', 'low']),
          kind: z.enum(['risk', 'open-item']),
          source: z.string(),
          text: z.string(),
        }),
      )
      .check(z.describe('6. Risks and open items.')),
    handoff: z
      .strictObject({
        nextStage: z.string(),
        /** True only for a promoted deployment without a high-severity risk. */
        ready: z.boolean(),
        why: z.string(),
        /** The side carrying 100 % now, and what runs on it. */
        serving: z.nullable(
          z.strictObject({ side: sideSchema, release: z.string(), taskDefinitionArn: z.nullable(z.string()) }),
        ),
        /** The other side, at 0 %: kept warm for a fast rollback (promoted), or kept for inspection (rolled back). */
        standby: z.nullable(z.strictObject({ side: sideSchema, warmUntil: z.nullable(z.string()) })),
        notes: z.array(z.string()),
      })
      .check(
        z.describe('7. Handoff to the next stage: whether it may proceed, what serves production, what stands by.'),
      ),
  }),
);
export type DeploymentReport = z.output<typeof deploymentReportSchema>;
export type ReportRisk = DeploymentReport['risks'][number];

/** The documented JSON Schema of the JSON report (draft 2020-12). */
export function deploymentReportJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(deploymentReportSchema, { target: 'draft-2020-12', io: 'output' }),
    $id: 'https://deployment-crew.example/schemas/deployment-report.schema.json',
    title: 'DeploymentCrew deployment report',
  };
}

/** What the report is built from: the execution's state, as the tasks left it. */
export const deploymentReportInputSchema = deferred(() =>
  z.strictObject({
    deployment: deploymentRefSchema,
    release: releaseSchema,
    requestedBy: z.string(),
    end: z.strictObject({
      outcome: deploymentOutcomeSchema,
      at: z.string(),
      error: z.nullable(z.strictObject({ name: z.string(), message: z.string() })),
    }),
    productionUrl: z.url(),
    dashboards: z.array(z.strictObject({ name: z.string(), url: z.url() })),
    /** Null when the execution stopped before the validation report. */
    validation: z.nullable(validationReportSchema),
    sides: z.nullable(sidesSchema),
    green: z.nullable(greenEnvironmentSchema),
    migration: z.nullable(migrationSchema),
    canary: z.nullable(reportCanaryStateSchema),
    rollback: z.nullable(rollbackStateSchema),
    /** The canary thresholds the stack configured; null when the caller does not know them. */
    thresholds: z._default(z.nullable(canaryThresholdsSchema), null),
    smoke: z.strictObject({ preTraffic: z.nullable(smokeReportSchema), production: z.nullable(smokeReportSchema) }),
    probes: z.nullable(probeSummarySchema),
    monitoring: z._default(z.nullable(monitoringCheckResultSchema), null),
    rollbackDryRun: z.nullable(rollbackDryRunSchema),
    /** State transitions the execution used (its history); null when not counted. */
    stateTransitions: z.nullable(nonNegativeInt),
    nextStage: nonEmptyString,
    /** Promoted: until when the old side stays warm (the post-promotion watch). */
    standbyWarmUntil: z.nullable(z.string()),
    /** Promoted: when the old side was scaled down at the end of the watch; null while it is still warm. */
    standbyRetiredAt: z._default(z.nullable(z.string()), null),
    /** Rolled back: when green was scaled down after the rollback (scaleDownGreenAfterRollback); null when kept. */
    greenScaledDownAt: z._default(z.nullable(z.string()), null),
  }),
);
export type DeploymentReportInput = z.input<typeof deploymentReportInputSchema>;
