import * as v from 'valibot';
import { manualRollbackSchema } from '../../lambdas/shared/operator-requests';
import { describeIssues } from '../../lambdas/shared/validation';
import type { CommandResult, CrewContext } from '../context';
import { commonRefusal, describeDeployment, refusalOf } from '../deployments';
import { CrewError } from '../errors';
import { mayCarryTraffic, readLock } from '../lock-view';

/**
 * `crew rollback`: the Chairman's override, through the rollback function URL signed with the caller's credentials.
 * It takes the same path as an alarm: the alarm listener puts traffic back on the live side at once when traffic is
 * on green, and the state machine's RollbackCoordinator does the rest.
 */

export interface RollbackOptions {
  readonly deployment: string;
  readonly reason: string;
}

/** The lock is this deployment's, HELD, and green may carry traffic that no rollback confirmed back. */
async function stillHoldsTraffic(context: CrewContext, deployment: string): Promise<boolean> {
  const lock = await readLock(context);
  if (lock === undefined || lock.holder !== deployment || lock.lockState !== 'HELD') return false;
  return mayCarryTraffic(lock);
}

export async function rollback(context: CrewContext, options: RollbackOptions): Promise<CommandResult> {
  const parsed = v.safeParse(manualRollbackSchema, { deployment: options.deployment, reason: options.reason });
  if (!parsed.success) throw new CrewError('USAGE', describeIssues(parsed.issues), 'nothing was sent');
  const execution = await describeDeployment(context, parsed.output.deployment);
  // A deployment stopped mid-cutover keeps its lock with green weighted in: the override still puts traffic back.
  if (execution.status !== 'RUNNING' && !(await stillHoldsTraffic(context, parsed.output.deployment))) {
    throw new CrewError(
      'REFUSED',
      `deployment ${parsed.output.deployment} is ${execution.status ?? 'not running'}: there is nothing to roll back`,
    );
  }
  const { rollbackUrl } = await context.stack();
  const reply = await context.clients.callFunctionUrl(rollbackUrl, parsed.output);
  if (reply.status !== 200) {
    const { error, message } = refusalOf(reply);
    if (error === 'NoDeploymentInProgress' || error === 'NotTheDeploymentInProgress') {
      throw new CrewError('REFUSED', message, 'crew status <deployment> shows what is in progress');
    }
    throw commonRefusal(reply, 'rollback');
  }
  const outcome = reply.body as { action?: string; detail?: string; listenerRestoredAt?: string };
  return {
    json: reply.body,
    human: [
      `Rollback of ${parsed.output.deployment}: ${outcome.action ?? 'requested'}`,
      ...(outcome.detail === undefined ? [] : [`  ${outcome.detail}`]),
      ...(outcome.listenerRestoredAt === undefined
        ? []
        : [`  traffic back on the live side at ${outcome.listenerRestoredAt}`]),
      `  follow it: crew status ${parsed.output.deployment} --watch`,
    ],
  };
}
