import { z } from 'zod';
import { onMissingMonitoringSchema } from '../lambdas/shared/config/post-deployment-verifier';
import { rollbackTriggerSchema, rollbackTypeSchema } from '../lambdas/shared/cutover-contracts';
import { STALE_READ_OPERATIONS } from './simulated-aws/call-log';
import { modelledOperationsOf } from './simulated-aws/sdk-stub';
import { SimulatedProduction } from './simulated-production';

/**
 * The shape of a scenario file (scenarios/*.json): what the simulated world does, and what the rehearsal must end
 * in. Every knob maps to a WorldOptions field (rehearsal/scenario.ts); series are declarative and become the traffic
 * model's functions of { greenWeight, minute }.
 */

const percent = z.number().min(0).max(100);
const nonNegative = z.number().nonnegative();
const answerSchema = z
  .enum(['approve', 'reject', 'never'])
  .describe('approve, reject, or never (no answer before the timeout)');
const sideSchema = z
  .enum(['ok', 'failing', 'down'])
  .describe('ok; failing: 500 on every route; down: drops connections');

/** A number, or a value that depends on green's weight and on the minutes since green first got traffic. */
function series(value: z.ZodNumber, what: string) {
  const changing = z.strictObject({
    default: value.describe(`${what} when neither atWeight nor fromMinute applies`),
    atWeight: z
      .record(z.string().regex(/^\d{1,3}$/), value)
      .optional()
      .describe(`${what} while green carries this weight (%, as a string key); wins over fromMinute`),
    fromMinute: z
      .array(
        z
          .strictObject({
            minute: z.int().nonnegative().describe('whole minutes since green first got traffic'),
            value: value.describe(`${what} from this minute on`),
          })
          .describe('a value from a minute on'),
      )
      .optional()
      .describe(`${what} from a minute on (the latest entry reached applies)`),
  });
  // The union's own error says both shapes; scenario.ts adds what was wrong inside the object.
  const members = Object.entries(changing.shape).map(([key, field]) => (field.isOptional() ? `${key}?` : key));
  return z
    .union(
      [
        value.describe(`${what}, the same in every minute`),
        changing.describe(`${what} that changes with green's weight or with time`),
      ],
      { error: `expected a number, or an object { ${members.join(', ')} }` },
    )
    .describe(what);
}
export type SeriesInput = z.input<ReturnType<typeof series>>;

const greenTrafficSchema = z
  .strictObject({
    errorRatePercent: series(percent, "green's target 5xx in % of the requests it answered (default 0.2)").optional(),
    p95Ms: series(nonNegative, "green's p95 TargetResponseTime in ms (default 180)").optional(),
    crash: z
      .strictObject({
        refusedPercent: series(percent, 'connections refused (502, a TargetConnectionError), in %').optional(),
        timeoutPercent: series(percent, 'connections timed out (504, a TargetConnectionError), in %').optional(),
        hangPercent: series(percent, 'connected, then no answer (504 from the load balancer only), in %').optional(),
      })
      .optional()
      .describe('green crashing or hanging: requests the load balancer answers itself'),
    healthyHosts: series(
      z.number().int().nonnegative(),
      "green's HealthyHostCount (default 3 less the crashing share)",
    ).optional(),
    noData: z
      .union([z.literal('always'), z.array(z.int().min(0).max(100).describe("green's weight, %"))])
      .optional()
      .describe('green publishes no ALB datapoints: always, or at these weights'),
    noDataForMinutes: z
      .int()
      .nonnegative()
      .optional()
      .describe('green publishes no ALB datapoints during its first N minutes of traffic'),
    lateSeconds: series(nonNegative, "extra publish delay of a minute's datapoints, in s").optional(),
  })
  .describe('how green behaves under traffic');

const liveTrafficSchema = z
  .strictObject({
    errorRatePercent: percent.optional().describe("the live side's target 5xx in % (default 0.1)"),
    p95Ms: nonNegative.optional().describe("the live side's p95 in ms (default 150)"),
    healthyHosts: series(z.number().int().nonnegative(), "the live side's HealthyHostCount (default 3)").optional(),
  })
  .describe('how the live (old) side behaves');

const trafficSchema = z
  .strictObject({
    requestsPerMinute: z
      .int()
      .positive()
      .optional()
      .describe('requests per minute through the listener (default 6000)'),
    publishDelaySeconds: nonNegative
      .optional()
      .describe('how long after a minute ends its datapoints can be read (default 90)'),
    loadBalancerBaselineErrorPercent: percent
      .optional()
      .describe("the load balancer's own 5xx for live, in % (default 0.05)"),
    green: greenTrafficSchema.optional(),
    live: liveTrafficSchema.optional(),
    dbConnections: series(nonNegative, 'DatabaseConnections (Maximum), of 400 (default 120)').optional(),
    databaseKind: z
      .enum(['instance', 'cluster'])
      .optional()
      .describe('the database is an RDS instance or an Aurora cluster'),
  })
  .describe('the traffic model: what CloudWatch sees per virtual minute');

/**
 * The operations a fault can target: what the simulated services register, read off a fresh simulated production's
 * clients (a fault on any other would never fire). A service added to the simulation without being listed here is
 * refused, loudly, never ignored.
 */
export const MODELLED_OPERATIONS: readonly string[] = (() => {
  const production = new SimulatedProduction();
  const clients = [
    production.elbClient(),
    production.ecsClient(),
    production.cloudWatchClient(),
    production.rdsClient(),
  ];
  return clients.flatMap(modelledOperationsOf).sort();
})();

const operationFaultSchema = z
  .strictObject({
    operation: z
      .enum(MODELLED_OPERATIONS as [string, ...string[]], {
        error: (issue) =>
          `${JSON.stringify(issue.input)} is not an operation the simulation models; ` +
          `the modelled operations are: ${MODELLED_OPERATIONS.join(', ')}`,
      })
      .describe('Service:Command as the simulation logs it, e.g. ELB:ModifyListener, RDS:CreateDBSnapshot'),
    kind: z
      .enum(['throttle', 'fail', 'failFrom', 'hang', 'staleRead'])
      .describe(
        'throttle: ThrottlingException, retried by the SDK; fail: the first calls fail; failFrom: every call from ' +
          "one on; hang: the call never answers (the SDK's TimeoutError, retried); staleRead: reads after a write " +
          'still answer the old state (ELB:DescribeListeners only)',
      ),
    times: z
      .int()
      .positive()
      .optional()
      .describe('how many calls (staleRead: reads after each write): default 1, every call for fail'),
    fromCall: z.int().positive().optional().describe('failFrom: the first failing call, counted from 1'),
    error: z
      .string()
      .regex(/^[A-Za-z]+$/)
      .optional()
      .describe('the AWS error name fail/failFrom raise, non-retryable (default ValidationError)'),
  })
  .refine((fault) => fault.kind !== 'staleRead' || STALE_READ_OPERATIONS.includes(fault.operation), {
    path: ['operation'],
    message: `staleRead is modelled only for ${STALE_READ_OPERATIONS.join(', ')}`,
  })
  .describe('a fault injected into one simulated AWS operation');

const faultsSchema = z
  .strictObject({
    operations: z.array(operationFaultSchema).optional().describe('faults per simulated AWS operation'),
    modifyListener: z
      .strictObject({
        throttleTimes: z.int().nonnegative().optional().describe('the first N ModifyListener calls are throttled'),
        failWhenGreenWeightIs: z.int().min(0).max(100).optional().describe('a write giving green this weight fails'),
        failRestores: z.boolean().optional().describe('every write putting green back to 0 fails (the rollback)'),
        plainForwardToBlue: z.boolean().optional().describe('the listener starts as a plain forward to blue'),
      })
      .optional()
      .describe("the listener's own faults"),
    snapshot: z
      .strictObject({
        pollsUntilDone: z.int().nonnegative().optional().describe('describes that answer creating before the end'),
        finalStatus: z.enum(['available', 'failed']).optional().describe("the snapshot's final status"),
        createFailsWith: z.string().optional().describe('an RDS error name CreateDBSnapshot fails with, every time'),
        throttleCreate: z.int().nonnegative().optional().describe('CreateDBSnapshot is throttled N times'),
        busyCreate: z.int().nonnegative().optional().describe('CreateDBSnapshot finds the instance busy N times'),
        engineVersionDrift: z
          .boolean()
          .optional()
          .describe("the snapshot's engine version differs from the instance's"),
      })
      .optional()
      .describe('how the pre-deployment backup behaves'),
    restore: z
      .strictObject({
        failWith: z.string().optional().describe('an RDS error name the restore fails with, every time'),
        restoredStatus: z.string().optional().describe('the restored instance ends in this status, not available'),
        renameFailsFor: z
          .strictObject({
            identifierPrefix: z.string().describe('instances whose name starts with this'),
            error: z.string().describe('the RDS error name the rename fails with'),
          })
          .optional()
          .describe('ModifyDBInstance renaming such an instance fails'),
      })
      .optional()
      .describe('how a database restore behaves'),
    green: z
      .strictObject({
        readyAfterPolls: z.int().positive().optional().describe('green is ready at the N-th describe (default 1)'),
        neverHealthy: z.boolean().optional().describe("green's rollout never completes, its targets unhealthy"),
      })
      .optional()
      .describe("green's provisioning"),
    migration: z
      .strictObject({
        exitCode: z.int().nonnegative().optional().describe("the migration container's exit code (default 0)"),
        runningPolls: z.int().nonnegative().optional().describe('describes that say RUNNING before STOPPED'),
        failsToStart: z.boolean().optional().describe('the migration task never starts (image pull)'),
      })
      .optional()
      .describe('the schema migration task'),
    greenWeightSetInWatch: z
      .int()
      .min(0)
      .max(100)
      .optional()
      .describe('someone outside the crew sets green to this weight during the watch'),
  })
  .describe('faults injected into the simulated production');

const endpointSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/)
      .describe('api is the health endpoint; others are dependencies'),
    critical: z.boolean().describe('a critical dependency down stops the deployment'),
    answers: z
      .union([z.int().min(100).max(599), z.literal('unreachable')])
      .describe('the HTTP status answered, or unreachable (a connection error)'),
  })
  .describe('one endpoint the pre-deployment check calls');

const seconds = (what: string) => z.int().positive().optional().describe(what);
/** The workflow settings a scenario may override; the same names as workflowSettingsSchema (a test keeps them so). */
export const scenarioSettingsSchema = z
  .strictObject({
    snapshotPollSeconds: seconds('wait between snapshot describes, s (default 30)'),
    snapshotMaxPolls: seconds('snapshot describes before the backup gives up (default 5)'),
    greenPollSeconds: seconds("wait between checks of green's readiness, s (default 30)"),
    greenMaxPolls: seconds('readiness checks before provisioning gives up (default 6)'),
    migrationPollSeconds: seconds('wait between migration task checks, s (default 30)'),
    migrationMaxPolls: seconds('migration checks before it counts as failed (default 6)'),
    canarySteps: z
      .array(z.int().min(1).max(100).describe("green's share at one step, %"))
      .min(1)
      .optional()
      .describe("green's share at each canary step, ending at 100 (default [10, 50, 100])"),
    rollbackVerifySeconds: seconds(
      "wait after a traffic rollback before checking the live side's numbers, s (default 120)",
    ),
    databaseRollbackApprovalTimeoutSeconds: seconds(
      'how long the Chairman has to confirm a database restore, s (default 3600)',
    ),
    restorePollSeconds: seconds('wait between database restore steps, s (default 60)'),
    restoreMaxPolls: seconds('database restore steps, the swap reserve included'),
    scaleDownGreenAfterRollback: z
      .boolean()
      .optional()
      .describe('scale green to 0 after a rollback instead of keeping it for diagnosis (default false)'),
    blueRetentionSeconds: seconds('the post-promotion watch: how long the old side stays warm, s (default 3600)'),
  })
  .describe('workflow settings overriding the defaults');

export const scenarioSchema = z
  .strictObject({
    $schema: z.string().optional().describe('the JSON schema of this file: ../docs/scenario.schema.json'),
    description: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[^\n]*$/)
      .describe('what the scenario rehearses, in one line'),
    environment: z
      .strictObject({
        settings: scenarioSettingsSchema.optional(),
        bakeSeconds: z.int().positive().optional().describe('bake time per canary step in s (default 300)'),
        inconclusiveAllowance: z.int().nonnegative().optional().describe('inconclusive verdicts allowed (default 2)'),
        metricsMaxWaitSeconds: z
          .int()
          .nonnegative()
          .optional()
          .describe('how long a verdict waits for late data (default 300)'),
        autoDatabaseRollback: z.boolean().optional().describe('restore the database without asking (default false)'),
        testListener: z.boolean().optional().describe('a test listener reaching green only exists (default true)'),
        onMissingMonitoring: z.optional(onMissingMonitoringSchema).describe('missing monitoring: fail, or record-risk'),
      })
      .optional()
      .describe('the stack configuration'),
    endpoints: z.array(endpointSchema).optional().describe('the pre-deployment check endpoints (default all up)'),
    traffic: trafficSchema.optional(),
    faults: faultsSchema.optional(),
    alarms: z
      .strictObject({
        enabled: z.boolean().optional().describe('false: the alarms never fire, only the verdict sees a breach'),
        duringApproval: z.string().optional().describe('this alarm enters ALARM while the Chairman is asked'),
        whileProvisioning: z.string().optional().describe('this alarm enters ALARM while green is provisioned'),
        inWatch: z
          .strictObject({
            alarmName: z.string().describe('the alarm'),
            afterSeconds: z.int().nonnegative().describe('seconds into the post-promotion watch'),
          })
          .optional()
          .describe('an alarm entering ALARM in the post-promotion watch'),
      })
      .optional()
      .describe('alarms entering ALARM outside the bakes (names: DeploymentCrew-shop-green-error-rate, ...)'),
    approvals: z
      .strictObject({
        start: answerSchema.optional().describe("the Chairman's answer to the start (default approve)"),
        databaseRollback: answerSchema
          .optional()
          .describe("the Chairman's answer to a database restore (default approve)"),
      })
      .optional()
      .describe('how the Chairman answers'),
    override: z
      .strictObject({ atGreenWeight: z.int().min(1).max(100).describe('the bake at this weight') })
      .optional()
      .describe("the Chairman's manual rollback, sent as a bake starts"),
    verifier: z
      .strictObject({
        green: sideSchema.optional().describe('how green answers before any traffic (default ok)'),
        greenAfterPromotion: sideSchema.optional().describe('how green answers at 100 % (default as green)'),
        greenStopsAnsweringAtWeight: z.int().min(1).max(100).optional().describe('green dies as this bake starts'),
        greenStopsAnsweringInWatch: z.boolean().optional().describe('green dies as the post-promotion watch starts'),
        dashboardMissing: z.boolean().optional().describe('the deployment dashboard does not exist'),
        deniedRollbackAction: z.string().optional().describe('IAM denies this rollback action: the dry run fails'),
      })
      .optional()
      .describe('the simulated application and what the post-deployment verifier finds'),
    lock: z
      .strictObject({
        heldBy: z.string().min(1).describe("the other execution's name"),
        lockState: z.enum(['HELD', 'ESCALATED']).optional().describe('default HELD'),
        expiresInSeconds: z.int().optional().describe('until the other lock expires; negative: expired (default 3600)'),
      })
      .optional()
      .describe('another execution holds the deployment lock'),
    input: z
      .unknown()
      .optional()
      .describe('the execution input as is (default release 1.4.0, no schema change); may be malformed on purpose'),
    expect: z
      .strictObject({
        status: z.enum(['SUCCEEDED', 'FAILED']).describe("the execution's status"),
        error: z.string().nullable().describe("the execution's error name, or null"),
        rollback: z
          .strictObject({
            type: z.nullable(rollbackTypeSchema).optional().describe("the rollback's decision type"),
            trigger: z.optional(rollbackTriggerSchema).describe('what started the rollback'),
            databaseRestored: z
              .boolean()
              .nullable()
              .optional()
              .describe('the database part was done: true; declined, refused or failed: false; none decided: null'),
          })
          .nullable()
          .optional()
          .describe('the rollback the report records; null: none; absent: not checked'),
        greenWeights: z
          .array(z.int().min(0).max(100).describe("green's weight, %"))
          .optional()
          .describe('every weight applied to green, in order; absent: not checked'),
      })
      .describe('what the rehearsal must end in'),
  })
  .describe('A DeploymentCrew rehearsal scenario');

/** The JSON Schema of a scenario file (docs/scenario.schema.json). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(scenarioSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
}
