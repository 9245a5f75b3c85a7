import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import * as v from 'valibot';
import { type DeploymentRequest, deploymentRequestSchema } from '../../lambdas/shared/deployment-request';
import { describeIssues } from '../../lambdas/shared/validation';
import type { CommandResult, CrewContext } from '../context';
import { CrewError, fromAwsError, nameOf } from '../errors';
import { readLock } from '../lock-view';

/**
 * `crew start`: validates the input with the state machine's own schema (nothing is sent when it is invalid), then
 * starts an execution named so that people can read it and no two collide.
 */

export interface StartOptions {
  readonly version: string;
  readonly image: string;
  readonly schemaChange: boolean;
  readonly notes?: string;
  /** @default `crew:<user>@<host>` */
  readonly requestedBy?: string;
  readonly approvalTimeoutSeconds?: number;
  readonly bakeSeconds?: number;
}

/** Step Functions execution names: 1-80 of letters, digits, `-` and `_`. */
const NAME_MAX = 80;

/** `rel-<version>-<UTC yyyymmdd-hhmmss>-<4 hex>`: sorts by time, says which release, unique per start. */
export function executionNameFor(version: string, now: Date, random: string = randomBytes(2).toString('hex')): string {
  const slug = version
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '');
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-');
  const suffix = `-${stamp}-${random}`;
  return `rel-${slug.slice(0, NAME_MAX - 4 - suffix.length)}${suffix}`;
}

/** The local user's name; containers running as a UID without a passwd entry have none (userInfo throws). */
function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? `uid-${process.getuid?.() ?? 'unknown'}`;
  }
}

export function requestFrom(options: StartOptions): DeploymentRequest {
  const deploymentOptions = {
    ...(options.approvalTimeoutSeconds === undefined ? {} : { approvalTimeoutSeconds: options.approvalTimeoutSeconds }),
    ...(options.bakeSeconds === undefined ? {} : { bakeSeconds: options.bakeSeconds }),
  };
  const parsed = v.safeParse(deploymentRequestSchema, {
    release: {
      version: options.version,
      image: options.image,
      schemaChange: options.schemaChange,
      ...(options.notes === undefined ? {} : { notes: options.notes }),
    },
    requestedBy: options.requestedBy ?? `crew:${localUser()}@${hostname()}`,
    ...(Object.keys(deploymentOptions).length === 0 ? {} : { options: deploymentOptions }),
  });
  if (!parsed.success) {
    throw new CrewError('USAGE', `invalid deployment input: ${describeIssues(parsed.issues)}`, 'nothing was started');
  }
  return parsed.output;
}

/**
 * Refuses to start while another deployment holds the lock (the execution would only fail at its lock step): a
 * held lock names its holder; an escalated one says production needs a person first. An expired lock is taken over
 * by the next execution, so it does not refuse.
 */
async function refuseWhileLocked(context: CrewContext): Promise<void> {
  // Through the lock view's projection: the bake's task token is never read.
  const lock = await readLock(context);
  if (lock === undefined) return;
  const nowSeconds = Math.floor(context.now().getTime() / 1000);
  if (lock.lockState === 'HELD' && lock.expiresAt !== null && lock.expiresAt < nowSeconds) return;
  if (lock.lockState === 'ESCALATED') {
    throw new CrewError(
      'LOCK_HELD',
      `the lock is ESCALATED by ${lock.holder}: its rollback failed and production needs a person first`,
      'follow the runbook (README, "After an escalation"), then crew unlock --force',
    );
  }
  throw new CrewError(
    'LOCK_HELD',
    `deployment ${lock.holder} is in progress (phase ${lock.phase ?? 'VALIDATION'}): one deployment at a time`,
    `crew status ${lock.holder} --watch`,
  );
}

export async function start(context: CrewContext, options: StartOptions): Promise<CommandResult> {
  const input = requestFrom(options);
  const stack = await context.stack();
  await refuseWhileLocked(context);
  const name = executionNameFor(input.release.version, context.now());
  let executionArn: string | undefined;
  try {
    ({ executionArn } = await context.clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn: stack.stateMachineArn, name, input: JSON.stringify(input) }),
    ));
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists || nameOf(error) === 'ExecutionAlreadyExists') {
      throw new CrewError('REFUSED', `an execution named ${name} already exists`, 'run the command again');
    }
    throw fromAwsError(error, context.region);
  }
  return {
    json: { deployment: name, executionArn: executionArn ?? null, input },
    human: [
      `Started deployment ${name}`,
      `  release   ${input.release.version} (${input.release.image})${input.release.schemaChange ? ', schema change' : ''}`,
      `  execution ${executionArn ?? '(no ARN returned)'}`,
      '',
      'The Chairman is asked to approve it now. Follow it with:',
      `  crew status ${name} --watch`,
    ],
  };
}
