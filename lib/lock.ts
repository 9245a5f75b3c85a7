/** Key of the deployment lock item: one deployment at a time per listener. */
export function lockKeyFor(listenerArn: string): string {
  return `LOCK#${listenerArn}`;
}
