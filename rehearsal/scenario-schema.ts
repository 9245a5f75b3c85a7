import * as v from 'valibot';
import { onMissingMonitoringSchema } from '../lambdas/shared/config/post-deployment-verifier';
import { rollbackTriggerSchema, rollbackTypeSchema } from '../lambdas/shared/cutover-contracts';
import { documentedJsonSchema } from '../lambdas/shared/json-schema';
import { nonNegativeInt, positiveInt, strictObject } from '../lambdas/shared/validation';
import { faultsSchema } from './scenario-faults-schema';
import { described, nonNegative, optional, percent, series } from './scenario-fields';

/**
 * The shape of a scenario file (scenarios/*.json): what the simulated world does, and what the rehearsal must end
 * in. Every knob maps to a WorldOptions field (rehearsal/scenario.ts); series are declarative and become the traffic
 * model's functions of { greenWeight, minute }.
 */

const answerSchema = described(
  v.picklist(['approve', 'reject', 'never']),
  'approve, reject, or never (no answer before the timeout)',
);
const sideSchema = described(
  v.picklist(['ok', 'failing', 'down']),
  'ok; failing: 500 on every route; down: drops connections',
);

const greenTrafficSchema = described(
  strictObject({
    errorRatePercent: v.optional(series(percent, "green's target 5xx in % of the requests it answered (default 0.2)")),
    p95Ms: v.optional(series(nonNegative, "green's p95 TargetResponseTime in ms (default 180)")),
    crash: optional(
      strictObject({
        refusedPercent: v.optional(series(percent, 'connections refused (502, a TargetConnectionError), in %')),
        timeoutPercent: v.optional(series(percent, 'connections timed out (504, a TargetConnectionError), in %')),
        hangPercent: v.optional(series(percent, 'connected, then no answer (504 from the load balancer only), in %')),
      }),
      'green crashing or hanging: requests the load balancer answers itself',
    ),
    healthyHosts: v.optional(series(nonNegativeInt, "green's HealthyHostCount (default 3 less the crashing share)")),
    noData: optional(
      v.union([
        v.literal('always'),
        v.array(
          v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(100), v.description("green's weight, %")),
        ),
      ]),
      'green publishes no ALB datapoints: always, or at these weights',
    ),
    noDataForMinutes: optional(
      nonNegativeInt,
      'green publishes no ALB datapoints during its first N minutes of traffic',
    ),
    lateSeconds: v.optional(series(nonNegative, "extra publish delay of a minute's datapoints, in s")),
  }),
  'how green behaves under traffic',
);

const liveTrafficSchema = described(
  strictObject({
    errorRatePercent: optional(percent, "the live side's target 5xx in % (default 0.1)"),
    p95Ms: optional(nonNegative, "the live side's p95 in ms (default 150)"),
    healthyHosts: v.optional(series(nonNegativeInt, "the live side's HealthyHostCount (default 3)")),
  }),
  'how the live (old) side behaves',
);

const trafficSchema = described(
  strictObject({
    requestsPerMinute: optional(positiveInt, 'requests per minute through the listener (default 6000)'),
    publishDelaySeconds: optional(nonNegative, 'how long after a minute ends its datapoints can be read (default 90)'),
    loadBalancerBaselineErrorPercent: optional(percent, "the load balancer's own 5xx for live, in % (default 0.05)"),
    green: v.optional(greenTrafficSchema),
    live: v.optional(liveTrafficSchema),
    dbConnections: v.optional(series(nonNegative, 'DatabaseConnections (Maximum), of 400 (default 120)')),
    databaseKind: optional(v.picklist(['instance', 'cluster']), 'the database is an RDS instance or an Aurora cluster'),
  }),
  'the traffic model: what CloudWatch sees per virtual minute',
);

const endpointSchema = described(
  strictObject({
    name: v.pipe(
      v.string(),
      v.regex(/^[a-z][a-z0-9-]*$/),
      v.description('api is the health endpoint; others are dependencies'),
    ),
    critical: described(v.boolean(), 'a critical dependency down stops the deployment'),
    answers: described(
      v.union([v.pipe(v.number(), v.safeInteger(), v.minValue(100), v.maxValue(599)), v.literal('unreachable')]),
      'the HTTP status answered, or unreachable (a connection error)',
    ),
  }),
  'one endpoint the pre-deployment check calls',
);

const seconds = (what: string) => optional(positiveInt, what);
/** The workflow settings a scenario may override; the same names as workflowSettingsSchema (a test keeps them so). */
export const scenarioSettingsSchema = described(
  strictObject({
    snapshotPollSeconds: seconds('wait between snapshot describes, s (default 30)'),
    snapshotMaxPolls: seconds('snapshot describes before the backup gives up (default 5)'),
    greenPollSeconds: seconds("wait between checks of green's readiness, s (default 30)"),
    greenMaxPolls: seconds('readiness checks before provisioning gives up (default 6)'),
    migrationPollSeconds: seconds('wait between migration task checks, s (default 30)'),
    migrationMaxPolls: seconds('migration checks before it counts as failed (default 6)'),
    canarySteps: optional(
      v.pipe(
        v.array(
          v.pipe(
            v.number(),
            v.safeInteger(),
            v.minValue(1),
            v.maxValue(100),
            v.description("green's share at one step, %"),
          ),
        ),
        v.minLength(1),
      ),
      "green's share at each canary step, ending at 100 (default [10, 50, 100])",
    ),
    rollbackVerifySeconds: seconds(
      "wait after a traffic rollback before checking the live side's numbers, s (default 120)",
    ),
    databaseRollbackApprovalTimeoutSeconds: seconds(
      'how long the Chairman has to confirm a database restore, s (default 3600)',
    ),
    restorePollSeconds: seconds('wait between database restore steps, s (default 60)'),
    restoreMaxPolls: seconds('database restore steps, the swap reserve included'),
    scaleDownGreenAfterRollback: optional(
      v.boolean(),
      'scale green to 0 after a rollback instead of keeping it for diagnosis (default false)',
    ),
    blueRetentionSeconds: seconds('the post-promotion watch: how long the old side stays warm, s (default 3600)'),
  }),
  'workflow settings overriding the defaults',
);

export const scenarioSchema = described(
  strictObject({
    $schema: optional(v.string(), 'the JSON schema of this file: ../docs/scenario.schema.json'),
    description: v.pipe(
      v.string(),
      v.minLength(1),
      v.maxLength(200),
      v.regex(/^[^\n]*$/),
      v.description('what the scenario rehearses, in one line'),
    ),
    environment: optional(
      strictObject({
        settings: v.optional(scenarioSettingsSchema),
        bakeSeconds: optional(positiveInt, 'bake time per canary step in s (default 300)'),
        inconclusiveAllowance: optional(nonNegativeInt, 'inconclusive verdicts allowed (default 2)'),
        metricsMaxWaitSeconds: optional(nonNegativeInt, 'how long a verdict waits for late data (default 300)'),
        autoDatabaseRollback: optional(v.boolean(), 'restore the database without asking (default false)'),
        testListener: optional(v.boolean(), 'a test listener reaching green only exists (default true)'),
        onMissingMonitoring: optional(onMissingMonitoringSchema, 'missing monitoring: fail, or record-risk'),
      }),
      'the stack configuration',
    ),
    endpoints: optional(v.array(endpointSchema), 'the pre-deployment check endpoints (default all up)'),
    traffic: v.optional(trafficSchema),
    faults: v.optional(faultsSchema),
    alarms: optional(
      strictObject({
        enabled: optional(v.boolean(), 'false: the alarms never fire, only the verdict sees a breach'),
        duringApproval: optional(v.string(), 'this alarm enters ALARM while the Chairman is asked'),
        whileProvisioning: optional(v.string(), 'this alarm enters ALARM while green is provisioned'),
        inWatch: optional(
          strictObject({
            alarmName: described(v.string(), 'the alarm'),
            afterSeconds: v.pipe(
              v.number(),
              v.safeInteger(),
              v.minValue(0),
              v.description('seconds into the post-promotion watch'),
            ),
          }),
          'an alarm entering ALARM in the post-promotion watch',
        ),
      }),
      'alarms entering ALARM outside the bakes (names: DeploymentCrew-shop-green-error-rate, ...)',
    ),
    approvals: optional(
      strictObject({
        start: optional(answerSchema, "the Chairman's answer to the start (default approve)"),
        databaseRollback: optional(answerSchema, "the Chairman's answer to a database restore (default approve)"),
      }),
      'how the Chairman answers',
    ),
    override: optional(
      strictObject({
        atGreenWeight: v.pipe(
          v.number(),
          v.safeInteger(),
          v.minValue(1),
          v.maxValue(100),
          v.description('the bake at this weight'),
        ),
      }),
      "the Chairman's manual rollback, sent as a bake starts",
    ),
    verifier: optional(
      strictObject({
        green: optional(sideSchema, 'how green answers before any traffic (default ok)'),
        greenAfterPromotion: optional(sideSchema, 'how green answers at 100 % (default as green)'),
        greenStopsAnsweringAtWeight: optional(
          v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(100)),
          'green dies as this bake starts',
        ),
        greenStopsAnsweringInWatch: optional(v.boolean(), 'green dies as the post-promotion watch starts'),
        dashboardMissing: optional(v.boolean(), 'the deployment dashboard does not exist'),
        deniedRollbackAction: optional(v.string(), 'IAM denies this rollback action: the dry run fails'),
      }),
      'the simulated application and what the post-deployment verifier finds',
    ),
    lock: optional(
      strictObject({
        heldBy: v.pipe(v.string(), v.minLength(1), v.description("the other execution's name")),
        lockState: optional(v.picklist(['HELD', 'ESCALATED']), 'default HELD'),
        expiresInSeconds: optional(
          v.pipe(v.number(), v.safeInteger()),
          'until the other lock expires; negative: expired (default 3600)',
        ),
      }),
      'another execution holds the deployment lock',
    ),
    input: optional(
      v.unknown(),
      'the execution input as is (default release 1.4.0, no schema change); may be malformed on purpose',
    ),
    expect: described(
      strictObject({
        status: described(v.picklist(['SUCCEEDED', 'FAILED']), "the execution's status"),
        error: described(v.nullable(v.string()), "the execution's error name, or null"),
        rollback: optional(
          v.nullable(
            strictObject({
              type: optional(v.nullable(rollbackTypeSchema), "the rollback's decision type"),
              trigger: optional(rollbackTriggerSchema, 'what started the rollback'),
              databaseRestored: optional(
                v.nullable(v.boolean()),
                'the database part was done: true; declined, refused or failed: false; none decided: null',
              ),
            }),
          ),
          'the rollback the report records; null: none; absent: not checked',
        ),
        greenWeights: optional(
          v.array(
            v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(100), v.description("green's weight, %")),
          ),
          'every weight applied to green, in order; absent: not checked',
        ),
      }),
      'what the rehearsal must end in',
    ),
  }),
  'A DeploymentCrew rehearsal scenario',
);

/** The JSON Schema of a scenario file (docs/scenario.schema.json). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return documentedJsonSchema(scenarioSchema, 'input');
}
