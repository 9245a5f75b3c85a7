import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { APPROVAL_SK_PREFIX, deploymentPartitionKey } from '../../lambdas/shared/approval-item';
import type { CommandResult, CrewContext } from '../context';
import { describeDeployment, executionArnOf } from '../deployments';
import { fromAwsError } from '../errors';
import { latestVerdict, readRecentHistory, timelineOf } from '../execution-history';
import { projectionOf, readLock } from '../lock-view';
import {
  type ApprovalView,
  bakeLine,
  buildStatus,
  EVENTS_SHOWN,
  renderStatus,
  type StatusDocument,
} from '../status-view';

/**
 * `crew status <deployment>`: where a deployment is. Reads the execution (DescribeExecution), the lock item, the
 * approvals waiting (only while the execution runs) and the newest events of its history (newest first, at most
 * HISTORY_MAX_PAGES pages). `--json` prints the StatusDocument (crew/status-view.ts).
 *
 * `crew status <deployment> --watch`: the same, every WATCH_INTERVAL_MS until the execution is no longer RUNNING,
 * then the final status is the command's result (printed once, by main.ts). On a terminal each refresh redraws the
 * block in place (cursor up, clear); otherwise a block is appended when something changed, and a running bake's
 * progress line at most once a minute in between (logs stay readable). With `--json` nothing is printed until the
 * end: the result is the final StatusDocument, one JSON document as for every command.
 */

export const WATCH_INTERVAL_MS = 5000;
/** Without a terminal, the bake's progress line is repeated at most this often while nothing else changes. */
export const PLAIN_PROGRESS_INTERVAL_MS = 60_000;

/** The approval items' attributes the status shows: never `taskToken`. */
const APPROVAL_ATTRIBUTES = ['kind', 'status', 'requestedAt', 'deadline'] as const;

async function readWaitingApprovals(context: CrewContext, deployment: string): Promise<ApprovalView[]> {
  const { stateTableName } = await context.stack();
  const projection = projectionOf(APPROVAL_ATTRIBUTES);
  let items: Record<string, unknown>[];
  try {
    ({ Items: items = [] } = await context.clients.dynamo.send(
      new QueryCommand({
        TableName: stateTableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :approval)',
        ProjectionExpression: projection.ProjectionExpression,
        ExpressionAttributeNames: { ...projection.ExpressionAttributeNames, '#pk': 'pk', '#sk': 'sk' },
        ExpressionAttributeValues: { ':pk': deploymentPartitionKey(deployment), ':approval': APPROVAL_SK_PREFIX },
        ConsistentRead: true,
      }),
    ));
  } catch (error) {
    throw fromAwsError(error, context.region);
  }
  const now = context.now().getTime();
  const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
  return items
    .filter((item) => item.status === 'PENDING')
    .map((item) => {
      const deadline = text(item.deadline);
      return {
        kind: text(item.kind) ?? '?',
        requestedAt: text(item.requestedAt),
        deadline,
        expired: deadline !== null && Date.parse(deadline) <= now,
      };
    })
    .sort((a, b) => (a.requestedAt ?? '').localeCompare(b.requestedAt ?? ''));
}

export async function statusDocument(context: CrewContext, deployment: string): Promise<StatusDocument> {
  const execution = await describeDeployment(context, deployment);
  const executionArn = execution.executionArn ?? executionArnOf((await context.stack()).stateMachineArn, deployment);
  const running = execution.status === 'RUNNING';
  const [lock, approvals, history] = await Promise.all([
    readLock(context),
    running ? readWaitingApprovals(context, deployment) : Promise.resolve([]),
    readRecentHistory(context, executionArn, {
      // Enough once the events to show and the newest verdict are in; else up to the page bound.
      enough: (events) => timelineOf(events, EVENTS_SHOWN).length >= EVENTS_SHOWN && latestVerdict(events) !== null,
    }),
  ]);
  return buildStatus({ deployment, execution, lock, approvals, history, now: context.now() });
}

const resultOf = (document: StatusDocument): CommandResult => ({ json: document, human: renderStatus(document) });

export async function status(context: CrewContext, options: { deployment: string }): Promise<CommandResult> {
  return resultOf(await statusDocument(context, options.deployment));
}

/** Moves the cursor up over the block drawn last and clears from there to the end of the screen. */
export function eraseLines(count: number): string {
  return count === 0 ? '' : `\u001b[${count}A\u001b[J`;
}

/** What a plain (non-terminal) watcher compares to tell a change from the clock moving. */
function changeKey(document: StatusDocument): string {
  const { asOf: _asOf, execution, bake, ...rest } = document;
  return JSON.stringify({
    ...rest,
    execution: { ...execution, elapsedSeconds: null },
    bake: bake === null ? null : { ...bake, secondsLeft: null },
  });
}

export async function watchStatus(context: CrewContext, options: { deployment: string }): Promise<CommandResult> {
  const { io } = context;
  let drawn = 0;
  let lastKey: string | undefined;
  let lastPrintedAt = Number.NEGATIVE_INFINITY;
  for (;;) {
    const document = await statusDocument(context, options.deployment);
    const result = resultOf(document);
    if (document.execution.status !== 'RUNNING') {
      // main.ts prints the final block: on a terminal it replaces the one drawn last.
      if (!context.json && io.isTTY) io.stdout(eraseLines(drawn));
      else if (!context.json && lastKey !== undefined) io.stdout('\n');
      return result;
    }
    if (!context.json) {
      const now = context.now().getTime();
      if (io.isTTY) {
        io.stdout(`${eraseLines(drawn)}${result.human.join('\n')}\n`);
        drawn = result.human.length;
      } else if (changeKey(document) !== lastKey) {
        io.stdout(`${lastKey === undefined ? '' : '\n'}${result.human.join('\n')}\n`);
        lastKey = changeKey(document);
        lastPrintedAt = now;
      } else if (document.bake !== null && now - lastPrintedAt >= PLAIN_PROGRESS_INTERVAL_MS) {
        io.stdout(`  ${document.asOf}  bake ${bakeLine(document.bake)}\n`);
        lastPrintedAt = now;
      }
    }
    await io.sleep(WATCH_INTERVAL_MS);
  }
}
