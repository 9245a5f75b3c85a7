import { z } from 'zod';
import { requireEnv } from '../validation';
import { jsonEnvironmentVariable } from './environment';

/** Everything the alarm listener and the Chairman's override read from their function's environment. */
export interface RollbackTriggerConfig {
  /** `TABLE_NAME`: the crew's state table, holding the lock. */
  readonly tableName: string;
  /** `LOCK_KEY`: the lock item's partition key (`LOCK#<listener ARN>`). */
  readonly lockKey: string;
  /** `LISTENER_ARN`: the listener put back to 100 % live. */
  readonly listenerArn: string;
  /**
   * `ALARM_TARGET_GROUPS`: alarm name → the target group it watches. An alarm on the side that is live for the
   * current deployment says nothing about green and is ignored.
   */
  readonly alarmTargetGroups: Readonly<Record<string, string>>;
}

const ALARM_TARGET_GROUPS = jsonEnvironmentVariable('ALARM_TARGET_GROUPS', z.record(z.string(), z.string()));

export function rollbackTriggerEnvironment(config: RollbackTriggerConfig): Record<string, string> {
  return {
    TABLE_NAME: config.tableName,
    LOCK_KEY: config.lockKey,
    LISTENER_ARN: config.listenerArn,
    ...ALARM_TARGET_GROUPS.environment(config.alarmTargetGroups),
  };
}

export function loadRollbackTriggerConfig(): RollbackTriggerConfig {
  return {
    tableName: requireEnv('TABLE_NAME'),
    lockKey: requireEnv('LOCK_KEY'),
    listenerArn: requireEnv('LISTENER_ARN'),
    alarmTargetGroups: ALARM_TARGET_GROUPS.load(),
  };
}
