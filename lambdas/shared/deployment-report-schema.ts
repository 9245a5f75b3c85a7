import * as v from 'valibot';
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
import { documentedJsonSchema } from './json-schema';
import { smokeReportSchema } from './smoke-suite';
import {
  nonEmptyString,
  nonNegativeInt,
  nonNegativeNumber,
  positiveInt,
  strictObject,
  wholePercent,
} from './validation';
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

export const validationReportSchema = strictObject({
  deployment: deploymentRefSchema,
  release: releaseSchema,
  requestedBy: v.string(),
  approval: strictObject({
    approved: v.literal(true),
    kind: v.picklist(['START', 'DATABASE_ROLLBACK']),
    approver: approverSchema,
    answeredAt: v.string(),
    reason: v.optional(v.string()),
  }),
  dependencyMatrix: dependencyMatrixSchema,
  warnings: v.array(v.string()),
  backup: backupMetadataSchema,
  passed: v.literal(true),
  generatedAt: v.string(),
}) satisfies v.GenericSchema<ValidationReport>;

/** What the prober saw over the whole cutover (every bake's runs together). */
export const probeSummarySchema = strictObject({
  runs: nonNegativeInt,
  rounds: nonNegativeInt,
  failedRounds: nonNegativeInt,
  /** Rounds whose result CloudWatch did not take: the dashboard and the probe alarms lack them. */
  publishFailures: v.optional(nonNegativeInt, 0),
  /** The first failed probe of the run that declared green down; null when green never was. */
  greenDownSince: v.nullable(v.string()),
  /** The failures of that run, as the prober recorded them. */
  failures: v.array(v.string()),
});
export type ProbeSummary = v.InferOutput<typeof probeSummarySchema>;

/** The rollback dry-run (rollback_test): whether a rollback could run now, without changing traffic. */
export const rollbackDryRunSchema = rollbackDryRunResultSchema;

/** How the execution ended: promoted, rolled back, rollback failed (escalated), or failed before any traffic moved. */
export const deploymentOutcomeSchema = v.picklist(['PROMOTED', 'ROLLED_BACK', 'ROLLBACK_FAILED', 'FAILED']);
export type DeploymentOutcome = v.InferOutput<typeof deploymentOutcomeSchema>;

const nullableSeconds = v.nullable(nonNegativeNumber);

/** A bake's summary in the report, with green's minutes for the chart (null: the record predates them). */
export const reportSampleSchema = strictObject({
  ...sampleSummarySchema.entries,
  perMinute: v.nullable(bakeMinutesSchema),
});

/**
 * A bake as the report reads it from the canary history: the orchestrator's record, with when its verdict was decided
 * and green's minutes. Both are optional: a record written before they were kept has neither.
 */
const recordedBakeSchema = strictObject({
  ...canaryStepRecordSchema.entries.bakes.item.entries,
  decidedAt: v.optional(v.string()),
  sample: strictObject({ ...sampleSummarySchema.entries, perMinute: v.optional(bakeMinutesSchema) }),
});

/** The canary's state as the report reads it (see recordedBakeSchema). */
export const reportCanaryStateSchema = strictObject({
  ...canaryStateSchema.entries,
  history: v.array(strictObject({ ...canaryStepRecordSchema.entries, bakes: v.array(recordedBakeSchema) })),
});

export const deploymentReportSchema = strictObject({
  schemaVersion: v.literal(DEPLOYMENT_REPORT_SCHEMA_VERSION),
  deployment: deploymentRefSchema,
  generatedAt: v.string(),
  outcome: v.pipe(
    strictObject({
      status: deploymentOutcomeSchema,
      summary: v.string(),
      release: releaseSchema,
      requestedBy: v.string(),
      approvedBy: v.nullable(approverSchema),
      startedAt: v.string(),
      finishedAt: v.string(),
      durationSeconds: nullableSeconds,
      rollback: v.nullable(
        strictObject({
          trigger: rollbackTriggerSchema,
          phase: deploymentPhaseSchema,
          type: v.nullable(rollbackTypeSchema),
          /**
           * Whether the database part of the decision was done: null when the decision had none (traffic only, or
           * undecided); false when it was declined, refused or failed, so `type` says what was decided, not done.
           */
          databaseRestored: v.nullable(v.boolean()),
          /** The alarm whose ALARM state triggered the rollback; null when no alarm did (a verdict, a person, …). */
          alarmName: v.nullable(v.string()),
          reason: v.string(),
        }),
      ),
      error: v.nullable(strictObject({ name: v.string(), message: v.string() })),
    }),
    v.description('1. How the execution ended, for which release, requested and approved by whom.'),
  ),
  productionUrl: v.pipe(v.string(), v.description('2. The production URL the release serves on.')),
  dashboards: v.pipe(
    v.array(strictObject({ name: v.string(), url: v.string() })),
    v.description('3. The CloudWatch dashboards of the deployment.'),
  ),
  metrics: v.pipe(
    strictObject({
      phases: v.array(
        strictObject({
          phase: v.string(),
          startedAt: v.string(),
          endedAt: v.string(),
          durationSeconds: nullableSeconds,
        }),
      ),
      downtime: strictObject({
        /** Sum of the parts; null when a part is unknown. */
        totalSeconds: nullableSeconds,
        parts: v.array(strictObject({ cause: v.string(), seconds: nullableSeconds, basis: v.string() })),
      }),
      requestsServedByGreen: strictObject({
        requests: nonNegativeNumber,
        bakes: nonNegativeInt,
        basis: v.string(),
      }),
      /** Every shift and rollback: from the request to the listener re-read showing the weights. */
      weightEffective: v.array(
        strictObject({
          kind: v.picklist(['shift', 'rollback']),
          greenWeight: wholePercent,
          requestedAt: v.nullable(v.string()),
          confirmedAt: v.nullable(v.string()),
          seconds: nullableSeconds,
          unknownBecause: v.nullable(v.string()),
        }),
      ),
      stepFunctions: strictObject({
        stateTransitions: v.nullable(nonNegativeInt),
        usdPer1000Transitions: v.pipe(v.number(), v.finite()),
        costUsd: v.nullable(nonNegativeNumber),
      }),
    }),
    v.description(
      '4. Duration per phase, downtime, requests served by green, time until weight effective for every shift and ' +
        'rollback, Step Functions state transitions and their cost. Null figures were not recorded.',
    ),
  ),
  evidence: v.pipe(
    strictObject({
      validation: v.nullable(validationReportSchema),
      backup: v.nullable(backupMetadataSchema),
      green: v.nullable(greenEnvironmentSchema),
      migration: v.nullable(migrationSchema),
      verdicts: v.array(
        strictObject({
          stepIndex: nonNegativeInt,
          greenWeight: wholePercent,
          bake: positiveInt,
          startedAt: v.string(),
          endedAt: v.string(),
          /**
           * When the verdict was decided: the evaluation after the bake's late datapoints arrived, which can be
           * minutes after endedAt. Null when the record predates it.
           */
          decidedAt: v.nullable(v.string()),
          verdict: canaryVerdictSchema,
          sample: reportSampleSchema,
        }),
      ),
      /**
       * The canary thresholds the stack configured (the verifier's configuration carries the same resolved values as
       * the orchestrator's and the alarms'): what the verdicts and the alarms judged against. Null when not known.
       */
      thresholds: v.nullable(canaryThresholdsSchema),
      smoke: strictObject({ preTraffic: v.nullable(smokeReportSchema), production: v.nullable(smokeReportSchema) }),
      probes: v.nullable(probeSummarySchema),
      /** The monitoring check after 100 % (monitoring_setup); null when it did not run. */
      monitoring: v.nullable(monitoringCheckResultSchema),
      rollbackDryRun: v.nullable(rollbackDryRunSchema),
      rollbackTimeline: v.array(timelineEntrySchema),
    }),
    v.description(
      '5. Validation report, backup metadata, the verdict of every canary bake with its numbers and the minutes of ' +
        'green, the thresholds, smoke results, probe summary, rollback dry-run, rollback timeline.',
    ),
  ),
  risks: v.pipe(
    v.array(
      strictObject({
        severity: v.picklist(['high', 'medium', 'low']),
        kind: v.picklist(['risk', 'open-item']),
        source: v.string(),
        text: v.string(),
      }),
    ),
    v.description('6. Risks and open items.'),
  ),
  handoff: v.pipe(
    strictObject({
      nextStage: v.string(),
      /** True only for a promoted deployment without a high-severity risk. */
      ready: v.boolean(),
      why: v.string(),
      /** The side carrying 100 % now, and what runs on it. */
      serving: v.nullable(
        strictObject({ side: sideSchema, release: v.string(), taskDefinitionArn: v.nullable(v.string()) }),
      ),
      /** The other side, at 0 %: kept warm for a fast rollback (promoted), or kept for inspection (rolled back). */
      standby: v.nullable(strictObject({ side: sideSchema, warmUntil: v.nullable(v.string()) })),
      notes: v.array(v.string()),
    }),
    v.description('7. Handoff to the next stage: whether it may proceed, what serves production, what stands by.'),
  ),
});
export type DeploymentReport = v.InferOutput<typeof deploymentReportSchema>;
export type ReportRisk = DeploymentReport['risks'][number];

/** The documented JSON Schema of the JSON report (draft 2020-12). */
export function deploymentReportJsonSchema(): Record<string, unknown> {
  return {
    ...documentedJsonSchema(deploymentReportSchema, 'output'),
    $id: 'https://deployment-crew.example/schemas/deployment-report.schema.json',
    title: 'DeploymentCrew deployment report',
  };
}

/** What the report is built from: the execution's state, as the tasks left it. */
export const deploymentReportInputSchema = strictObject({
  deployment: deploymentRefSchema,
  release: releaseSchema,
  requestedBy: v.string(),
  end: strictObject({
    outcome: deploymentOutcomeSchema,
    at: v.string(),
    error: v.nullable(strictObject({ name: v.string(), message: v.string() })),
  }),
  productionUrl: v.pipe(v.string(), v.url()),
  dashboards: v.array(strictObject({ name: v.string(), url: v.pipe(v.string(), v.url()) })),
  /** Null when the execution stopped before the validation report. */
  validation: v.nullable(validationReportSchema),
  sides: v.nullable(sidesSchema),
  green: v.nullable(greenEnvironmentSchema),
  migration: v.nullable(migrationSchema),
  canary: v.nullable(reportCanaryStateSchema),
  rollback: v.nullable(rollbackStateSchema),
  /** The canary thresholds the stack configured; null when the caller does not know them. */
  thresholds: v.optional(v.nullable(canaryThresholdsSchema), null),
  smoke: strictObject({ preTraffic: v.nullable(smokeReportSchema), production: v.nullable(smokeReportSchema) }),
  probes: v.nullable(probeSummarySchema),
  monitoring: v.optional(v.nullable(monitoringCheckResultSchema), null),
  rollbackDryRun: v.nullable(rollbackDryRunSchema),
  /** State transitions the execution used (its history); null when not counted. */
  stateTransitions: v.nullable(nonNegativeInt),
  nextStage: nonEmptyString,
  /** Promoted: until when the old side stays warm (the post-promotion watch). */
  standbyWarmUntil: v.nullable(v.string()),
  /** Promoted: when the old side was scaled down at the end of the watch; null while it is still warm. */
  standbyRetiredAt: v.optional(v.nullable(v.string()), null),
  /** Rolled back: when green was scaled down after the rollback (scaleDownGreenAfterRollback); null when kept. */
  greenScaledDownAt: v.optional(v.nullable(v.string()), null),
});
export type DeploymentReportInput = v.InferInput<typeof deploymentReportInputSchema>;
