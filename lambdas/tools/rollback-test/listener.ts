import {
  type Action,
  DescribeListenersCommand,
  type ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Sides } from '../../shared/cutover-contracts';
import { DeploymentCrewError, errorMessage } from '../../shared/errors';
import { type ListenerRewrite, type RollbackCheck, refusalEvidence } from '../../shared/verification';
import { describeWeights, type ForwardState, forwardStateOf, weightOf } from '../traffic-router/forward-config';

/**
 * The listener part of the dry run: read the default action, re-apply it exactly as read with ModifyListener (which
 * changes nothing and proves the permission and the API path a rollback takes), then re-read to see that nothing
 * changed. A change seen by the re-read is reported, never corrected: it is another writer (a rollback, a step-up),
 * and the dry run does not fight it.
 */

/** Errors that make the listener checks fail instead of propagating: the rollback could not write either. */
const LISTENER_REFUSALS = ['ListenerNotFoundException', 'TargetGroupNotFoundException'];

export interface ListenerDryRun {
  readonly reapply: RollbackCheck;
  readonly unchanged: RollbackCheck;
  /** Null unless ModifyListener was accepted. */
  readonly timing: { readonly modifyListenerSeconds: number; readonly describeListenersSeconds: number } | null;
  readonly rewrite: ListenerRewrite | null;
}

type Read = { readonly actions: Action[]; readonly seconds: number } | { readonly refused: string };

const seconds = (from: Date, to: Date) => Math.max(0, to.getTime() - from.getTime()) / 1000;

function sameForward(a: ForwardState, b: ForwardState): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function describeForward(state: ForwardState, sides: Sides): string {
  const stickiness =
    state.stickiness?.enabled === true
      ? `; stickiness on for ${state.stickiness.durationSeconds} s (clients bound to green may stay there that long after a rollback)`
      : '';
  return `${describeWeights(state.weights)} (the old side at ${weightOf(state.weights, sides.live.targetGroupArn)})${stickiness}`;
}

export async function listenerDryRun(
  client: ElasticLoadBalancingV2Client,
  listenerArn: string,
  sides: Sides,
  clock: () => Date,
  onRewrite: (rewrite: ListenerRewrite) => void,
): Promise<ListenerDryRun> {
  const reapply = (ok: boolean, evidence: string): RollbackCheck => ({ name: 'listener-reapply', ok, evidence });
  const unchanged = (ok: boolean, evidence: string): RollbackCheck => ({ name: 'listener-unchanged', ok, evidence });
  const notRead = unchanged(false, 'not checked: the current default action was not re-applied');

  async function read(): Promise<Read> {
    const started = clock();
    try {
      const page = await client.send(new DescribeListenersCommand({ ListenerArns: [listenerArn] }));
      const listener = page.Listeners?.[0];
      if (listener === undefined) return { refused: `listener ${listenerArn} does not exist` };
      return { actions: listener.DefaultActions ?? [], seconds: seconds(started, clock()) };
    } catch (error) {
      return { refused: `DescribeListeners ${refusalEvidence(error, LISTENER_REFUSALS)}` };
    }
  }

  // The rollback writes one weighted forward (traffic_router); a listener the router refuses cannot be rolled back.
  function forwardOf(actions: readonly Action[]): ForwardState | string {
    try {
      return forwardStateOf(listenerArn, actions);
    } catch (error) {
      if (error instanceof DeploymentCrewError) return errorMessage(error);
      throw error;
    }
  }

  const readAt = clock();
  const first = await read();
  if ('refused' in first)
    return { reapply: reapply(false, first.refused), unchanged: notRead, timing: null, rewrite: null };
  const before = forwardOf(first.actions);
  if (typeof before === 'string') {
    return { reapply: reapply(false, `not re-applied: ${before}`), unchanged: notRead, timing: null, rewrite: null };
  }

  const writeStarted = clock();
  try {
    // Exactly as read: same actions, same order, same stickiness. Nothing else of the listener is sent.
    await client.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: first.actions }));
  } catch (error) {
    const evidence = `ModifyListener ${refusalEvidence(error, LISTENER_REFUSALS)}`;
    return { reapply: reapply(false, evidence), unchanged: notRead, timing: null, rewrite: null };
  }
  const acceptedAt = clock();
  const modifyListenerSeconds = seconds(writeStarted, acceptedAt);
  const rewrite = { readAt: readAt.toISOString(), acceptedAt: acceptedAt.toISOString() };
  // Before the re-read, which may throw (throttling): the caller must guard an accepted re-write in any case.
  onRewrite(rewrite);
  const accepted = reapply(
    true,
    `ModifyListener accepted the current default action in ${modifyListenerSeconds} s: ${describeForward(before, sides)}`,
  );

  const second = await read();
  if ('refused' in second) {
    return {
      reapply: accepted,
      unchanged: unchanged(false, `re-read failed: ${second.refused}`),
      timing: { modifyListenerSeconds, describeListenersSeconds: first.seconds },
      rewrite,
    };
  }
  const timing = { modifyListenerSeconds, describeListenersSeconds: Math.max(first.seconds, second.seconds) };
  const after = forwardOf(second.actions);
  if (typeof after === 'string') {
    return { reapply: accepted, unchanged: unchanged(false, `changed by another writer: ${after}`), timing, rewrite };
  }
  if (!sameForward(before, after)) {
    return {
      reapply: accepted,
      unchanged: unchanged(
        false,
        `changed by another writer between the dry run's read and its re-read (not corrected): before ` +
          `${describeForward(before, sides)}; now ${describeForward(after, sides)}`,
      ),
      timing,
      rewrite,
    };
  }
  return {
    reapply: accepted,
    unchanged: unchanged(true, 'the re-read shows the same weights and stickiness'),
    timing,
    rewrite,
  };
}
