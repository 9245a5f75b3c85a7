/**
 * Keys of the crew's DynamoDB table, shared by the stack (which passes the lock key to the state machine and the
 * functions) and the functions that read and write the items.
 */

/** Sort key of the deployment lock item. */
export const LOCK_SORT_KEY = 'LOCK';

/** Partition key of the deployment lock item: one deployment at a time per listener. */
export function lockKeyFor(listenerArn: string): string {
  return `LOCK#${listenerArn}`;
}

/**
 * Partition-key prefix of the probe ledgers (`pk = PROBES#<deployment>`, `sk = PROBES`): their own partitions, so that
 * the prober's writes can be granted without any write to the lock's partition.
 */
export const PROBE_LEDGER_PK_PREFIX = 'PROBES#';
export const PROBE_LEDGER_SORT_KEY = 'PROBES';
