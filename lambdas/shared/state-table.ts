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
