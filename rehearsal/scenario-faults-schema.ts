import * as v from 'valibot';
import { nonNegativeInt, positiveInt, strictObject, wholePercent } from '../lambdas/shared/validation';
import { described, optional } from './scenario-fields';
import { STALE_READ_OPERATIONS } from './simulated-aws/call-log';
import { modelledOperationsOf } from './simulated-aws/sdk-stub';
import { SimulatedProduction } from './simulated-production';

/** The faults a scenario injects into the simulated production (the `faults` of a scenario file). */

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

const operationFaultSchema = v.pipe(
  strictObject({
    operation: described(
      v.picklist(
        MODELLED_OPERATIONS as [string, ...string[]],
        (issue) =>
          `${JSON.stringify(issue.input)} is not an operation the simulation models; ` +
          `the modelled operations are: ${MODELLED_OPERATIONS.join(', ')}`,
      ),
      'Service:Command as the simulation logs it, e.g. ELB:ModifyListener, RDS:CreateDBSnapshot',
    ),
    kind: described(
      v.picklist(['throttle', 'fail', 'failFrom', 'hang', 'staleRead']),
      'throttle: ThrottlingException, retried by the SDK; fail: the first calls fail; failFrom: every call from ' +
        "one on; hang: the call never answers (the SDK's TimeoutError, retried); staleRead: reads after a write " +
        'still answer the old state (ELB:DescribeListeners only)',
    ),
    times: optional(positiveInt, 'how many calls (staleRead: reads after each write): default 1, every call for fail'),
    fromCall: optional(positiveInt, 'failFrom: the first failing call, counted from 1'),
    error: optional(
      v.pipe(v.string(), v.regex(/^[A-Za-z]+$/)),
      'the AWS error name fail/failFrom raise, non-retryable (default ValidationError)',
    ),
  }),
  v.forward(
    v.check(
      (fault) => fault.kind !== 'staleRead' || STALE_READ_OPERATIONS.includes(fault.operation),
      `staleRead is modelled only for ${STALE_READ_OPERATIONS.join(', ')}`,
    ),
    ['operation'],
  ),
  v.description('a fault injected into one simulated AWS operation'),
);

export const faultsSchema = described(
  strictObject({
    operations: optional(v.array(operationFaultSchema), 'faults per simulated AWS operation'),
    modifyListener: optional(
      strictObject({
        throttleTimes: optional(nonNegativeInt, 'the first N ModifyListener calls are throttled'),
        failWhenGreenWeightIs: optional(wholePercent, 'a write giving green this weight fails'),
        failRestores: optional(v.boolean(), 'every write putting green back to 0 fails (the rollback)'),
        plainForwardToBlue: optional(v.boolean(), 'the listener starts as a plain forward to blue'),
      }),
      "the listener's own faults",
    ),
    snapshot: optional(
      strictObject({
        pollsUntilDone: optional(nonNegativeInt, 'describes that answer creating before the end'),
        finalStatus: optional(v.picklist(['available', 'failed']), "the snapshot's final status"),
        createFailsWith: optional(v.string(), 'an RDS error name CreateDBSnapshot fails with, every time'),
        throttleCreate: optional(nonNegativeInt, 'CreateDBSnapshot is throttled N times'),
        busyCreate: optional(nonNegativeInt, 'CreateDBSnapshot finds the instance busy N times'),
        engineVersionDrift: optional(v.boolean(), "the snapshot's engine version differs from the instance's"),
      }),
      'how the pre-deployment backup behaves',
    ),
    restore: optional(
      strictObject({
        failWith: optional(v.string(), 'an RDS error name the restore fails with, every time'),
        restoredStatus: optional(v.string(), 'the restored instance ends in this status, not available'),
        renameFailsFor: optional(
          strictObject({
            identifierPrefix: described(v.string(), 'instances whose name starts with this'),
            error: described(v.string(), 'the RDS error name the rename fails with'),
          }),
          'ModifyDBInstance renaming such an instance fails',
        ),
      }),
      'how a database restore behaves',
    ),
    green: optional(
      strictObject({
        readyAfterPolls: optional(positiveInt, 'green is ready at the N-th describe (default 1)'),
        neverHealthy: optional(v.boolean(), "green's rollout never completes, its targets unhealthy"),
      }),
      "green's provisioning",
    ),
    migration: optional(
      strictObject({
        exitCode: optional(nonNegativeInt, "the migration container's exit code (default 0)"),
        runningPolls: optional(nonNegativeInt, 'describes that say RUNNING before STOPPED'),
        failsToStart: optional(v.boolean(), 'the migration task never starts (image pull)'),
      }),
      'the schema migration task',
    ),
    greenWeightSetInWatch: optional(
      wholePercent,
      'someone outside the crew sets green to this weight during the watch',
    ),
  }),
  'faults injected into the simulated production',
);
