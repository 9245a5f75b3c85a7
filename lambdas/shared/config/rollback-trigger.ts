import * as v from 'valibot';
import { approversSchema } from '../approvers';
import { rollbackTriggerSchema } from '../lock-contracts';
import {
  confirmationDelaysMs,
  LISTENER_CONFIRMATION,
  type SdkBudget,
  type SdkClientLimits,
  worstCaseDurationMs,
} from '../sdk-budget';
import { nonEmptyString, record, requireEnv, strictObject } from '../validation';
import { jsonEnvironmentVariable } from './environment';

/**
 * What one alarm means to the alarm listener: the target group it watches (null for one that watches no side, the
 * database's) and the trigger a rollback it starts is recorded as.
 */
export const alarmRouteSchema = strictObject({
  targetGroupArn: v.nullable(nonEmptyString),
  trigger: rollbackTriggerSchema,
});
export type AlarmRoute = v.InferOutput<typeof alarmRouteSchema>;

/** Everything the alarm listener and the Chairman's override read from their function's environment. */
export interface RollbackTriggerConfig {
  /** `TABLE_NAME`: the crew's state table, holding the lock. */
  readonly tableName: string;
  /** `LOCK_KEY`: the lock item's partition key (`LOCK#<listener ARN>`). */
  readonly lockKey: string;
  /** `LISTENER_ARN`: the listener put back to 100 % live. */
  readonly listenerArn: string;
  /**
   * `ALARM_ROUTES`: alarm name → its route. An alarm on the side that is live for the current deployment says
   * nothing about green and is ignored; one without a target group always counts; alarms not in here (extra alarms)
   * are recorded as `ALARM`.
   */
  readonly alarmRoutes: Readonly<Record<string, AlarmRoute>>;
  /** `APPROVERS`: IAM role and user ARNs that may override (an assumed-role session counts as its role). */
  readonly approvers: readonly string[];
  /** `ACCOUNT_ID`: the stack's account; override callers from any other account are refused. */
  readonly accountId: string;
}

const ALARM_ROUTES = jsonEnvironmentVariable('ALARM_ROUTES', record(nonEmptyString, alarmRouteSchema));
const APPROVERS = jsonEnvironmentVariable('APPROVERS', approversSchema);

export function rollbackTriggerEnvironment(config: RollbackTriggerConfig): Record<string, string> {
  return {
    TABLE_NAME: config.tableName,
    LOCK_KEY: config.lockKey,
    LISTENER_ARN: config.listenerArn,
    ...ALARM_ROUTES.environment(config.alarmRoutes),
    ACCOUNT_ID: config.accountId,
    ...APPROVERS.environment([...config.approvers]),
  };
}

export function loadRollbackTriggerConfig(): RollbackTriggerConfig {
  return {
    tableName: requireEnv('TABLE_NAME'),
    lockKey: requireEnv('LOCK_KEY'),
    listenerArn: requireEnv('LISTENER_ARN'),
    alarmRoutes: ALARM_ROUTES.load(),
    approvers: APPROVERS.load(),
    accountId: requireEnv('ACCOUNT_ID'),
  };
}

/**
 * Every AWS client of the alarm listener (DynamoDB, ELB, Step Functions, CloudWatch). Tight on purpose: these APIs
 * answer in milliseconds, and a call that hangs must fail early enough for the bake to be ended in the `finally`.
 */
export const ALARM_LISTENER_SDK_LIMITS: SdkClientLimits = {
  maxAttempts: 2,
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
};

/**
 * The most SDK calls one invocation makes (lambdas/rollback-trigger/trigger.ts, an alarm event in doubt during the
 * cutover, so not claimed before it is judged): read the lock 1, DescribeAlarms 1 (asked once per invocation), claim
 * as read and again on the new bake token, that claim finding the phase moved 2, claim twice more on the item it
 * returned 2, ModifyListener 1, confirming DescribeListeners 5, record the restore and, the lock item being gone by
 * then, read it to tell why 2, SendTaskFailure 1, clear the token 1. Counted as DynamoDB answers: a failed condition
 * returns the item while there is one (ReturnValuesOnConditionCheckFailure), so no read follows it. A fresh alarm
 * event claims first instead of reading, one call fewer. A test drives that path through the handler and counts.
 */
export const ALARM_LISTENER_MAX_SDK_CALLS = 16;

/** The alarm listener's worst case, for the stack's check of its function timeout. */
export const ALARM_LISTENER_SDK_BUDGET: SdkBudget = {
  calls: ALARM_LISTENER_MAX_SDK_CALLS,
  limits: ALARM_LISTENER_SDK_LIMITS,
  ownWaitsMs: confirmationDelaysMs(LISTENER_CONFIRMATION).reduce((sum, delay) => sum + delay, 0),
};

/** Worst-case duration of one alarm listener invocation's AWS calls, in milliseconds. */
export function alarmListenerWorstCaseMs(): number {
  return worstCaseDurationMs(ALARM_LISTENER_SDK_BUDGET);
}
