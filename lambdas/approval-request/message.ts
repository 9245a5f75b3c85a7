import type { TargetsConfig } from '../shared/config/approval-request';
import type { ApprovalKind, DeploymentRef } from '../shared/contracts';
import type { Release } from '../shared/deployment-request';

/**
 * The texts of the approval notification: pure functions of the request, the stack's targets and the ways to answer.
 * Nothing here may ever see the task token: the Chairman answers by deployment name.
 */

/** Extra facts of an approval request. For DATABASE_ROLLBACK: which snapshot would be restored, and why. */
export interface ApprovalContext {
  readonly reason?: string | undefined;
  readonly snapshotIdentifier?: string | undefined;
  /** When the snapshot was taken (ISO-8601): every write after this is lost by a restore. */
  readonly snapshotCreatedAt?: string | undefined;
}

/** Where and how the Chairman answers. */
export interface AnswerChannels {
  /** Signing region of the function URL. */
  readonly region: string;
  /** The approval-response function URL (AuthType AWS_IAM). */
  readonly approvalUrl: string;
  /** The approval-response function's name: invoking it directly is refused, the message says so by name. */
  readonly functionName: string;
}

export interface ApprovalMessageInput {
  readonly kind: ApprovalKind;
  readonly deployment: DeploymentRef;
  readonly release: Release;
  readonly requestedBy: string;
  /** ISO-8601. */
  readonly requestedAt: string;
  readonly timeoutSeconds: number;
  readonly context?: ApprovalContext | undefined;
  readonly targets: TargetsConfig;
  readonly answer: AnswerChannels;
}

export interface ApprovalNotification {
  readonly subject: string;
  readonly message: string;
}

/** SNS subjects: ASCII, no line breaks or control characters, under 100 characters. */
export const MAX_SUBJECT_LENGTH = 99;

export function buildApprovalNotification(input: ApprovalMessageInput): ApprovalNotification {
  return { subject: buildApprovalSubject(input), message: buildApprovalMessage(input) };
}

export function buildApprovalSubject(input: ApprovalMessageInput): string {
  const { version } = input.release;
  const name = input.deployment.name;
  const text =
    input.kind === 'START'
      ? `Approve deployment ${version} (${name})?`
      : `Confirm DATABASE RESTORE (writes will be lost) for ${version} (${name})?`;
  return toSnsSubject(text);
}

export function buildApprovalMessage(input: ApprovalMessageInput): string {
  return input.kind === 'START' ? startMessage(input) : databaseRollbackMessage(input);
}

function startMessage(input: ApprovalMessageInput): string {
  const { release, targets } = input;
  const database = describeDatabase(targets);
  return [
    `DeploymentCrew asks for your approval to deploy release ${release.version} to production.`,
    'Nothing has changed yet, and nothing changes unless you approve.',
    '',
    ...requestFacts(input, 'the approval expires and the deployment does not go ahead'),
    '',
    ...releaseSection(release),
    '',
    ...targetsSection(targets),
    '',
    'IF YOU APPROVE',
    `  1. Backup: a snapshot of the ${database} is taken and verified before anything changes.`,
    `  2. The release goes out blue-green: traffic on the listener moves between the target groups above.`,
    ...(release.schemaChange
      ? [
          '  The release changes the database schema. Should the database have to be rolled back, the snapshot',
          '  from step 1 is restored, and every write made after it is lost.',
        ]
      : []),
    '',
    'IF YOU REJECT',
    '  Nothing changes: no snapshot, no deployment. Your reason is recorded with the deployment.',
    '',
    ...answerSection(input),
  ].join('\n');
}

function databaseRollbackMessage(input: ApprovalMessageInput): string {
  const { release, targets } = input;
  const database = describeDatabase(targets);
  const snapshot = input.context?.snapshotIdentifier ?? '(not named by the request)';
  const takenAt = input.context?.snapshotCreatedAt ?? '(time not given by the request)';
  const reason = input.context?.reason ?? '(no reason was given)';
  return [
    `DeploymentCrew asks you to CONFIRM A DATABASE RESTORE for deployment ${input.deployment.name} (release ${release.version}).`,
    '',
    `THIS LOSES DATA. Restoring snapshot "${snapshot}" (taken at ${takenAt}) LOSES EVERY WRITE made to the ${database}`,
    `since ${takenAt}. Every row inserted, updated or deleted after that moment is gone from the restored database.`,
    'The current database is not deleted: it is renamed (<identifier>-pre-rb-<hash>) and kept, so those writes can',
    'be recovered from it by hand. The application has no database at its endpoint from the rename until the restore',
    'is available (typically tens of minutes).',
    '',
    `Why a restore is proposed: ${reason}`,
    '',
    ...requestFacts(input, 'the request expires and the database is not restored'),
    '',
    ...releaseSection(release),
    '',
    ...targetsSection(targets),
    '',
    'IF YOU APPROVE (confirm the restore)',
    `  The ${database} is restored from snapshot "${snapshot}". Every write made since ${takenAt} is lost.`,
    '',
    'IF YOU REJECT (decline the restore)',
    `  The database is not restored and keeps all of its data, including every write made since ${takenAt}.`,
    '  Its schema stays as the release left it, which may need a person to resolve. Your reason is recorded.',
    '',
    ...answerSection(input),
  ].join('\n');
}

function requestFacts(input: ApprovalMessageInput, withoutAnswer: string): string[] {
  const deadline = approvalDeadline(input.requestedAt, input.timeoutSeconds);
  return [
    `Deployment:    ${input.deployment.name}   (answer by this name)`,
    `Execution:     ${input.deployment.executionArn}`,
    `Requested by:  ${input.requestedBy}`,
    `Requested at:  ${formatInstant(input.requestedAt)}`,
    `Answer by:     ${deadline} (${formatDuration(input.timeoutSeconds)} after the request).`,
    `               Without an answer by then, ${withoutAnswer}.`,
  ];
}

function releaseSection(release: Release): string[] {
  return [
    'RELEASE',
    `  Version:        ${release.version}`,
    `  Image:          ${release.image}`,
    `  Schema change:  ${release.schemaChange ? 'yes (database migrations run)' : 'no'}`,
    ...(release.notes === undefined ? [] : [`  Notes:          ${indentContinuation(release.notes, 18)}`]),
  ];
}

function targetsSection(targets: TargetsConfig): string[] {
  const [firstGroup, ...otherGroups] = targets.targetGroupArns;
  return [
    'TARGETS',
    `  Listener:       ${targets.listenerArn}`,
    `  Target groups:  ${firstGroup ?? '(none)'}`,
    ...otherGroups.map((arn) => `                  ${arn}`),
    `  Database:       ${describeDatabase(targets)}`,
  ];
}

function answerSection(input: ApprovalMessageInput): string[] {
  const { deployment, answer, kind } = input;
  const kindField: Record<string, string> = kind === 'START' ? {} : { kind };
  const approve: Record<string, string> = { deployment: deployment.name, decision: 'approve', ...kindField };
  const reject: Record<string, string> = {
    deployment: deployment.name,
    decision: 'reject',
    reason: '...',
    ...kindField,
  };
  return [
    `HOW TO ANSWER (by deployment name${kind === 'START' ? '' : ', with "kind":"DATABASE_ROLLBACK"'})`,
    '  Approve, signed with your IAM credentials (your IAM identity is recorded, verified):',
    `    ${functionUrlCommand(answer, approve)}`,
    '  Reject the same way, with a reason:',
    `    ${functionUrlCommand(answer, reject)}`,
    `  Only the configured approvers may answer, through this URL; invoking ${answer.functionName} directly is refused.`,
    '  ("decision":"approve" approves; a reason is optional when approving and required when rejecting.)',
  ];
}

/** The signed `curl` call of the approval function URL, with the payload as a single-quoted JSON argument. */
export function functionUrlCommand(answer: AnswerChannels, payload: Record<string, string>): string {
  return [
    'curl',
    `--aws-sigv4 "aws:amz:${answer.region}:lambda"`,
    '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"',
    '-H "x-amz-security-token: $AWS_SESSION_TOKEN"',
    "-H 'content-type: application/json'",
    `-d ${shellQuote(JSON.stringify(payload))}`,
    shellQuote(answer.approvalUrl),
  ].join(' ');
}

/** Quotes a value for a POSIX shell: as is when it is plainly safe, else in single quotes. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** requestedAt + timeoutSeconds, as an ISO-8601 instant without milliseconds. */
export function approvalDeadline(requestedAt: string, timeoutSeconds: number): string {
  const start = Date.parse(requestedAt);
  if (Number.isNaN(start)) throw new RangeError(`requestedAt is not a time: ${requestedAt}`);
  return formatInstant(new Date(start + timeoutSeconds * 1000).toISOString());
}

/** "1 hour", "2 days 3 hours", "45 minutes", "30 seconds". */
export function formatDuration(totalSeconds: number): string {
  const units: ReadonlyArray<readonly [string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
    ['second', 1],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.floor(totalSeconds));
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) parts.push(`${count} ${unit}${count === 1 ? '' : 's'}`);
  }
  return parts.length === 0 ? '0 seconds' : parts.slice(0, 2).join(' ');
}

function formatInstant(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

function describeDatabase(targets: TargetsConfig): string {
  const { kind, identifier } = targets.database;
  return `${kind === 'instance' ? 'DB instance' : 'DB cluster'} "${identifier}"`;
}

function indentContinuation(text: string, width: number): string {
  return text.split(/\r?\n/).join(`\n${' '.repeat(width)}`);
}

/** Makes any text a valid SNS subject: printable ASCII only, one line, at most {@link MAX_SUBJECT_LENGTH}. */
export function toSnsSubject(text: string): string {
  const oneLine = text
    .replace(/\s+/g, ' ')
    .replace(/[^\x20-\x7E]/g, '?')
    .trim();
  if (oneLine.length <= MAX_SUBJECT_LENGTH) return oneLine;
  return `${oneLine.slice(0, MAX_SUBJECT_LENGTH - 3).trimEnd()}...`;
}
