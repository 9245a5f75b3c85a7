import type { DatabaseKind } from '../shared/contracts';
import type { RollbackState, Stickiness, TimelineEntry } from '../shared/cutover-contracts';
import { LOCK_SORT_KEY } from '../shared/state-table';
import { describeWeightEffective, formatSeconds, NOT_APPLICABLE, unrecordedWeightEffective } from './weight-effective';

/**
 * Pure helpers of the RollbackCoordinator: the rollback's timeline, the plain-text summary the Chairman gets, and the
 * runbook sent when a rollback step failed and a person has to finish it.
 */

/** SNS: a subject is ASCII, without line breaks or control characters, and shorter than 100 characters. */
export const SUBJECT_MAX_LENGTH = 99;

/** The state with one more timeline entry; the input is not changed. */
export function appendTimeline(state: RollbackState, entry: Omit<TimelineEntry, 'at'>, at: Date): RollbackState {
  const added: TimelineEntry = {
    at: at.toISOString(),
    action: entry.action,
    result: entry.result,
    detail: entry.detail,
  };
  return { ...state, timeline: [...state.timeline, added] };
}

/** An SNS-safe subject: printable ASCII on one line, at most 99 characters. */
export function toSubject(text: string): string {
  const clean = text
    .replace(/[\r\n\t]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  return clean.length <= SUBJECT_MAX_LENGTH ? clean : `${clean.slice(0, SUBJECT_MAX_LENGTH - 3).trimEnd()}...`;
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

export interface SummaryContext {
  readonly deploymentName: string;
  readonly releaseVersion: string;
  /** When the restored snapshot was taken (BackupMetadata.createdAt): the point after which writes are lost. */
  readonly snapshotCreatedAt?: string;
}

type Outcome = { readonly short: string; readonly long: string };

function outcomeOf(state: RollbackState): Outcome {
  const decision = state.decision;
  if (decision === null) return { short: 'rollback undecided', long: 'no rollback decision was made yet' };
  const failed = state.database?.status === 'FAILED' || state.timeline.some((entry) => entry.result === 'failed');
  if (failed)
    return { short: 'rollback INCOMPLETE', long: 'the rollback is INCOMPLETE: a step failed (see the timeline)' };
  if (decision.type === 'none') return { short: 'no rollback needed', long: 'no rollback was needed' };
  const databaseWanted = decision.database !== 'none';
  const databaseDone = state.database?.status === 'AVAILABLE';
  if (databaseWanted && !databaseDone) {
    const trafficPart = decision.type === 'full' ? 'traffic rolled back, ' : '';
    return {
      short: `${trafficPart}database not restored`,
      long: `${trafficPart}the database was not restored (${state.database === null ? 'not started' : `status ${state.database.status}`})`,
    };
  }
  return { short: `rolled back (${decision.type})`, long: `rolled back (${decision.type} rollback)` };
}

function timelineLines(state: RollbackState): string[] {
  if (state.timeline.length === 0) return ['  (no steps recorded)'];
  return state.timeline.map(
    (entry, index) => `  ${index + 1}. ${entry.at}  [${entry.result}]  ${entry.action}: ${oneLine(entry.detail)}`,
  );
}

function databaseParagraph(state: RollbackState, snapshotCreatedAt: string | undefined): string {
  const database = state.database;
  const wanted = state.decision !== null && state.decision.database !== 'none';
  if (database === null) {
    return wanted
      ? 'Database: NOT restored (the restore was not confirmed or has not run). No writes were lost; whatever the ' +
          'migration changed in the schema is still in place.'
      : 'Database: not touched. No writes were lost.';
  }
  const since =
    snapshotCreatedAt === undefined
      ? `the time snapshot '${database.snapshotIdentifier}' was taken`
      : snapshotCreatedAt;
  const followUps = (database.followUps ?? []).map((item) => `\n  - ${oneLine(item)}`).join('');
  const redo = followUps === '' ? '' : ` To redo by hand now (acknowledged in the configuration):${followUps}`;
  if (database.refused === true) {
    return (
      `Database: NOT restored, the rollback was refused before anything was created or changed ` +
      `(${oneLine(database.reason ?? 'no reason recorded')}). No writes were lost; whatever the migration changed in ` +
      'the schema is still in place.'
    );
  }
  switch (database.status) {
    case 'AVAILABLE': {
      const down = database.swap?.endpointDownSeconds;
      return (
        `Database: restored from snapshot '${database.snapshotIdentifier}' (restored beside production, verified, then ` +
        `swapped in). Lost from '${database.originalIdentifier}': every write after ${since}. Those writes still exist ` +
        `in the preserved database '${database.preservedIdentifier}', fenced (security group ` +
        `'${database.fence?.securityGroupId ?? 'unknown'}'; its own groups were ` +
        `${database.fence?.originalSecurityGroupIds.join(', ') ?? 'unknown'}) and kept on purpose (still billed): delete ` +
        'it only once nothing more is needed from it. Endpoint down during the renames: ' +
        `${down === undefined ? 'not measured' : `at most ${down} s`}.${redo}`
      );
    }
    case 'FAILED':
      return (
        `Database: the restore FAILED (${oneLine(database.reason ?? 'no reason recorded')}). Check which of ` +
        `'${database.originalIdentifier}', '${database.preservedIdentifier}' and '${database.temporaryIdentifier}' ` +
        'exist before anything else (see the reason: a failure before the swap leaves production untouched, one ' +
        'during the swap is undone). If the restore is completed by hand, every write after ' +
        `${since} is lost from the live database.`
      );
    default:
      return (
        `Database: the restore did not finish (status ${database.status} after ${database.polls} polls; ` +
        `${oneLine(database.reason ?? 'no detail')}). Once it completes, every write after ${since} is lost from ` +
        `'${database.originalIdentifier}'; the preserved database '${database.preservedIdentifier}' keeps them.${redo}`
      );
  }
}

/** The Chairman's message, and `cause`: one line for the execution's failure Cause. */
export interface RollbackMessage {
  readonly subject: string;
  readonly message: string;
  readonly cause: string;
}

/** Plain-text summary of a rollback for the Chairman. */
export function rollbackSummary(state: RollbackState, context: SummaryContext): RollbackMessage {
  const outcome = outcomeOf(state);
  const weight = describeWeightEffective(state.weightEffective ?? unrecordedWeightEffective());
  const subject = toSubject(
    `DeploymentCrew: ${context.deploymentName} (release ${context.releaseVersion}) ${outcome.short}`,
  );
  const decision = state.decision;
  const lines = [
    `Rollback of deployment ${context.deploymentName}, release ${context.releaseVersion}: ${outcome.long}.`,
    '',
    `Trigger: ${state.trigger} (${oneLine(state.reason)})`,
    `Detected: ${state.detectedAt}`,
    `Time until weight effective: ${weight}`,
    `Phase: ${state.phase}`,
    decision === null ? 'Decision: none yet' : `Decision: ${decision.type} rollback; database: ${decision.database}`,
    ...(decision === null ? [] : [`Why: ${oneLine(decision.why)}`]),
    '',
    'Timeline:',
    ...timelineLines(state),
    '',
    databaseParagraph(state, context.snapshotCreatedAt),
  ];
  const cause =
    `DEPLOY-002: deployment ${context.deploymentName} (release ${context.releaseVersion}) ${outcome.short}; ` +
    `trigger ${state.trigger}; time until weight effective: ${weight}.`;
  return { subject, message: lines.join('\n'), cause: oneLine(cause) };
}

// ---------------------------------------------------------------------------------------------------------------
// Escalation runbook.

export interface EscalationContext {
  readonly deploymentName: string;
  readonly listenerArn: string;
  readonly liveTargetGroupArn: string;
  readonly greenTargetGroupArn: string;
  readonly greenServiceName: string;
  /** The ECS cluster. */
  readonly clusterName: string;
  /** The stack's database; null when it manages none. */
  readonly database: { readonly kind: DatabaseKind; readonly identifier: string } | null;
  readonly snapshotIdentifier: string | null;
  /** The configured fence group, for the runbook when the record has none. */
  readonly fenceSecurityGroupId?: string;
  readonly stateTableName: string;
  /** Partition key of the lock item (`LOCK#<listener ARN>`). */
  readonly lockKey: string;
  /** The rollback step that failed, and its error. */
  readonly failedAction: string;
  readonly error: string;
  /** The listener's target-group stickiness (Sides.stickiness): ModifyListener must re-send it. */
  readonly stickiness?: Stickiness | null;
  /** Adds `--region` to every command. */
  readonly region?: string;
  /** Adds a first step that checks the execution has ended. */
  readonly executionArn?: string;
  /** Seconds from the trigger to the escalation, told while the listener is not confirmed back; null when unknown. */
  readonly elapsedSinceTriggerSeconds?: number | null;
}

function escalationWeightLine(state: RollbackState, elapsed: number | null | undefined): string {
  const record = state.weightEffective ?? unrecordedWeightEffective();
  const settled =
    record.timeUntilWeightEffectiveSeconds !== null ||
    record.confirmedAt !== null ||
    record.unknownBecause?.startsWith(NOT_APPLICABLE) === true;
  if (settled) {
    return describeWeightEffective(record);
  }
  const since =
    elapsed === null || elapsed === undefined
      ? 'time since the trigger unknown (its time was not recorded)'
      : `${formatSeconds(elapsed)} since the trigger so far`;
  return `none, the listener was never confirmed back at 100 % live (${since})`;
}

/** A POSIX-shell single-quoted word. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function forwardActions(context: EscalationContext): string {
  const stickiness = context.stickiness;
  return JSON.stringify([
    {
      Type: 'forward',
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: context.liveTargetGroupArn, Weight: 100 },
          { TargetGroupArn: context.greenTargetGroupArn, Weight: 0 },
        ],
        TargetGroupStickinessConfig:
          stickiness === undefined || stickiness === null || !stickiness.enabled
            ? { Enabled: false }
            : { Enabled: true, DurationSeconds: stickiness.durationSeconds },
      },
    },
  ]);
}

function databaseSteps(state: RollbackState, context: EscalationContext, region: string): string[] {
  const target = context.database;
  if (target === null) return [];
  const progress = state.database;
  const wanted = state.decision !== null && state.decision.database !== 'none';
  if (progress === null && !wanted) return [];
  if (progress?.status === 'AVAILABLE') {
    return [
      `The database was restored (status AVAILABLE): nothing to do. The preserved database '${progress.preservedIdentifier}' ` +
        'keeps the writes made after the snapshot; do not delete it before they are reconciled.',
    ];
  }

  const cluster = target.kind === 'cluster';
  const describe = (identifier: string) =>
    cluster
      ? `aws rds describe-db-clusters --db-cluster-identifier ${shellQuote(identifier)}${region} --query 'DBClusters[0].[DBClusterIdentifier,Status,DbClusterResourceId,TagList]'`
      : `aws rds describe-db-instances --db-instance-identifier ${shellQuote(identifier)}${region} --query 'DBInstances[0].[DBInstanceIdentifier,DBInstanceStatus,DbiResourceId,TagList]'`;
  const original = target.identifier;
  const snapshot = progress?.snapshotIdentifier ?? context.snapshotIdentifier ?? '<snapshot identifier>';

  if (progress === null) {
    return [
      `The database rollback did not start (decision: ${state.decision?.database ?? 'none'}). The migration may have ` +
        `changed the schema of '${original}'. Decide with the application owners whether to restore snapshot ` +
        `'${snapshot}' (it loses every write made after the snapshot). If so, restore it under another name with the ` +
        `settings of '${original}', and swap names only once it is available and '${original}' is fenced.`,
      `   ${describe(original)}`,
    ];
  }

  const preserved = progress.preservedIdentifier;
  const temporary = progress.temporaryIdentifier;
  const modify = cluster
    ? (identifier: string, args: string) =>
        `aws rds modify-db-cluster --db-cluster-identifier ${shellQuote(identifier)} ${args} --apply-immediately${region}`
    : (identifier: string, args: string) =>
        `aws rds modify-db-instance --db-instance-identifier ${shellQuote(identifier)} ${args} --apply-immediately${region}`;
  const groups = progress.fence?.originalSecurityGroupIds.map(shellQuote).join(' ') ?? '<its own security group ids>';
  const fence = progress.fence?.securityGroupId ?? context.fenceSecurityGroupId ?? '<fence group>';
  const steps = [
    `The database restore is ${progress.status}${progress.refused === true ? ' (refused: nothing was touched)' : ''}` +
      `${progress.reason === undefined ? '' : ` (${oneLine(progress.reason)})`}. Check which databases exist (a ` +
      `NotFound error means the name is free):\n   ${describe(original)}\n   ${describe(preserved)}\n   ${describe(temporary)}`,
    `   - '${original}' exists without a deployment-crew:restored-from tag: production was never renamed. If its ` +
      `security groups are only '${fence}', it is still fenced: put its own back (no data lost):\n` +
      `     ${modify(original, `--vpc-security-group-ids ${groups}`)}`,
    `   - '${preserved}' exists and '${original}' does not: the swap stopped half-way and the endpoint is down. Put ` +
      `production back (no data lost), then unfence it as above:\n     ${modify(preserved, `--new-${cluster ? 'db-cluster' : 'db-instance'}-identifier ${shellQuote(original)}`)}\n` +
      `     or, to finish the rollback instead, rename the verified copy '${temporary}' into the name:\n` +
      `     ${modify(temporary, `--new-${cluster ? 'db-cluster' : 'db-instance'}-identifier ${shellQuote(original)} --deletion-protection`)}`,
    `   - '${original}' exists with the tag deployment-crew:restored-from=${snapshot}: the swap went through; wait ` +
      `for it:\n     aws rds wait ${cluster ? 'db-cluster-available --db-cluster-identifier' : 'db-instance-available --db-instance-identifier'} ${shellQuote(original)}${region}`,
    `   - '${temporary}' exists: the restored copy, holding nothing but the snapshot's data; delete it once it is ` +
      `not needed (after checking its restored-from tag)${cluster ? ', its instances first' : ''}.`,
    `   RDS events explain a failed restore:\n     aws rds describe-events --source-type ${cluster ? 'db-cluster' : 'db-instance'} --source-identifier ${shellQuote(temporary)} --duration 360${region}`,
    `   Never delete '${preserved}': it holds every write made up to the rollback.`,
  ];
  return [steps.join('\n')];
}

/** The runbook for a person to finish a rollback that failed, with copy-paste aws CLI commands. */
export function escalationRunbook(state: RollbackState, context: EscalationContext): RollbackMessage {
  const region = context.region === undefined ? '' : ` --region ${shellQuote(context.region)}`;
  const stickiness = context.stickiness;
  const stickyNote =
    stickiness?.enabled === true
      ? ` Clients with a stickiness cookie keep reaching green for up to ${stickiness.durationSeconds} s after this.`
      : stickiness === undefined
        ? ' Stickiness is unknown here and this command turns it off: if the listener had it, add its ' +
          'TargetGroupStickinessConfig (see describe-listeners) before running it.'
        : '';

  const steps: string[] = [];
  if (context.executionArn !== undefined) {
    steps.push(
      'Make sure the execution has ended, so no step changes the listener behind you (status must not be RUNNING):\n' +
        `   aws stepfunctions describe-execution --execution-arn ${shellQuote(context.executionArn)}${region} --query status`,
    );
  }
  steps.push(
    `Put 100 % of the traffic back on live (ModifyListener replaces the whole action, so this is the complete forward config).${stickyNote}\n` +
      `   aws elbv2 modify-listener --listener-arn ${shellQuote(context.listenerArn)} --default-actions ${shellQuote(forwardActions(context))}${region}\n` +
      'Then confirm the weights took effect (live 100, green 0):\n' +
      `   aws elbv2 describe-listeners --listener-arns ${shellQuote(context.listenerArn)}${region} --query 'Listeners[0].DefaultActions[0].ForwardConfig'`,
    'Check that live serves with healthy targets (every State must be "healthy"):\n' +
      `   aws elbv2 describe-target-health --target-group-arn ${shellQuote(context.liveTargetGroupArn)}${region} --query 'TargetHealthDescriptions[].[Target.Id,TargetHealth.State]'`,
    `Scale green down${stickiness?.enabled === true ? ` once the ${stickiness.durationSeconds} s stickiness has run out` : ''}:\n` +
      `   aws ecs update-service --cluster ${shellQuote(context.clusterName)} --service ${shellQuote(context.greenServiceName)} --desired-count 0${region}`,
  );
  steps.push(...databaseSteps(state, context, region));
  const key = JSON.stringify({ pk: { S: context.lockKey }, sk: { S: LOCK_SORT_KEY } });
  const values = JSON.stringify({ ':holder': { S: context.deploymentName }, ':escalated': { S: 'ESCALATED' } });
  steps.push(
    'Only when production is confirmed healthy: clear the escalated deployment lock, so the next deployment can run ' +
      "(the condition keeps it from deleting another deployment's lock):\n" +
      `   aws dynamodb delete-item --table-name ${shellQuote(context.stateTableName)} --key ${shellQuote(key)} ` +
      `--condition-expression 'holder = :holder AND lockState = :escalated' --expression-attribute-values ${shellQuote(values)}${region}`,
  );

  const weight = escalationWeightLine(state, context.elapsedSinceTriggerSeconds);
  const decision = state.decision;
  const lines = [
    `DeploymentCrew could not finish the rollback of deployment ${context.deploymentName}: a person has to take over.`,
    '',
    `Failed action: ${context.failedAction}`,
    `Error: ${oneLine(context.error)}`,
    `Trigger: ${state.trigger} (${oneLine(state.reason)}), detected ${state.detectedAt} in phase ${state.phase}`,
    `Time until weight effective: ${weight}`,
    decision === null
      ? 'Decision: none was made'
      : `Decision: ${decision.type} rollback; database: ${decision.database}. ${oneLine(decision.why)}`,
    '',
    'Timeline so far:',
    ...timelineLines(state),
    '',
    'Steps:',
    ...steps.map((step, index) => `${index + 1}. ${step}`),
  ];
  const cause =
    `DEPLOY-003: the rollback of ${context.deploymentName} failed (${context.failedAction}); time until weight ` +
    `effective: ${weight}. The lock is kept (ESCALATED) and the Chairman has the manual runbook.`;
  return {
    subject: toSubject(`DeploymentCrew ESCALATION: rollback of ${context.deploymentName} needs a person`),
    message: lines.join('\n'),
    cause: oneLine(cause),
  };
}
