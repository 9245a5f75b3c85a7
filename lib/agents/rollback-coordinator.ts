import { Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { DatabaseConfig } from '../../lambdas/shared/config/database';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../../lambdas/shared/config/rollback-coordinator';
import {
  preservedIdentifierPrefix,
  restoredMemberPrefix,
  snapshotPrefixFor,
  TAG_PROMOTED,
  TAG_TEMPORARY_MEMBER,
  temporaryIdentifierPrefix,
} from '../../lambdas/shared/rds-names';
import type { SimulationContextEntry } from '../../lambdas/shared/verification';
import { AgentFunction } from '../agent-function';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import { METRICS_LAG_SECONDS, pollsWithin, RESTORE_POLL_SECONDS, ROLLBACK_VERIFY_SECONDS } from '../config/time-budget';
import { ApplicationArns } from '../iam/application-arns';
import { acknowledgeReadOnlyWildcards, listenerStatements, lockItems, tableStatement } from '../iam/shared-statements';

/**
 * Properties of the RollbackCoordinator.
 */
export interface RollbackCoordinatorAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
  /** The crew's state table, holding the lock. */
  readonly table: dynamodb.ITableV2;
}

/**
 * RollbackCoordinator: the rollback decision, traffic back to live on the listener, the live side's health and error
 * rate afterwards, the database restore (restore beside production, fence, rename swap) and the escalation runbook.
 * Its RDS permissions name this database, its preserved and temporary copies, this stack's snapshots and exactly the
 * groups a restore re-uses.
 */
export class RollbackCoordinatorAgent extends AgentFunction {
  /**
   * The IAM actions a traffic rollback and a database rollback take with this role, exactly as granted: what the
   * PostDeploymentVerifier's dry run simulates (SimulatePrincipalPolicy). The lock and the events are left out: the
   * crew's own table and bus, not the application's resources a rollback must be able to change.
   */
  readonly rollbackActions: readonly string[];
  /** Per action in rollbackActions, the resources it is granted on (`*` where it supports no resource-level ones). */
  readonly rollbackResources: Readonly<Record<string, readonly string[]>>;
  /**
   * Per conditioned action, condition-key values that satisfy its statements' conditions (a `StringLike` pattern's
   * `*` filled in): without them the simulation of a conditioned allow answers implicitDeny, "not proven".
   */
  readonly rollbackContext: Readonly<Record<string, readonly SimulationContextEntry[]>>;

  constructor(scope: Construct, id: string, props: RollbackCoordinatorAgentProps) {
    const { config } = props;
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'rollback-coordinator',
      description: 'DeploymentCrew RollbackCoordinator: rollback decision, traffic and database rollback, escalation',
      environment: COORDINATOR_CONFIG.environment(
        coordinatorConfigFor(props, snapshotPrefixFor(Stack.of(scope).stackName)),
      ),
      timeout: Duration.seconds(60),
      invokedSynchronouslyBy: 'Step Functions',
    });
    const arns = new ApplicationArns(config.where);
    const snapshotPrefix = snapshotPrefixFor(Stack.of(scope).stackName);
    const trafficRollback = [
      // Restores and confirms the listener, and checks the live side's targets and errors.
      ...listenerStatements(config.listenerArn, ['DescribeListeners', 'DescribeTargetHealth']),
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
    ];
    const databaseRollback = [
      // The fence group's VPC and ingress rules, checked before a restore (no resource-level permission exists).
      new iam.PolicyStatement({ actions: ['ec2:DescribeSecurityGroups'], resources: ['*'] }),
      ...restoreStatements(arns, config, snapshotPrefix),
      // Who manages the snapshot's key (aws/rds or a customer key): read-only, on the account's keys in the region.
      new iam.PolicyStatement({ actions: ['kms:DescribeKey'], resources: [arns.arn('kms', 'key/*')] }),
    ];
    for (const statement of [
      ...trafficRollback,
      ...databaseRollback,
      tableStatement(props.table, lockItems(config.lockKey), 'GetItem', 'UpdateItem'),
      // The rollback's events, on the crew's bus only.
      new iam.PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [arns.arn('events', `event-bus/${config.eventBusName}`)],
      }),
    ]) {
      this.role.addToPolicy(statement);
    }
    const rollback = grantsOf([...trafficRollback, ...databaseRollback]);
    this.rollbackActions = Object.freeze(Object.keys(rollback));
    this.rollbackResources = Object.freeze(rollback);
    this.rollbackContext = Object.freeze(contextOf([...trafficRollback, ...databaseRollback]));
    acknowledgeReadOnlyWildcards(
      this.role,
      'elasticloadbalancing:DescribeListeners/DescribeTargetHealth, cloudwatch:GetMetricData, ec2:DescribeSecurityGroups',
    );
    Validations.of(this.role).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${arns.arn('kms', 'key/*')}]`,
        reason:
          "kms:DescribeKey (read-only) on the snapshot's key, known only at run time: it tells the AWS managed " +
          'aws/rds key (usable by the account through RDS) from a customer managed one, which needs kmsKeyArn.',
      },
      ...restoreWildcards(arns, config.database, snapshotPrefix).map((resource) => ({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          'Names made at run time from this database: the preserved copy (<id>-pre-rb-<hash>), the restored copy ' +
          "(<id>-rb-new-<hash>), the restored Aurora members (<id>-rb-new-<hash>-<hash>) and this stack's snapshots " +
          `(${snapshotPrefix}); RDS proxies, their target groups and cluster endpoints are only read, to find ` +
          'what points at the database. Each mutating pattern is anchored on the database or the stack.',
      })),
    );
  }
}

/** Action → the resources the statements grant it on, in grant order; the conditions stay with the role's policy. */
function grantsOf(statements: readonly iam.PolicyStatement[]): Record<string, readonly string[]> {
  const grants = new Map<string, Set<string>>();
  for (const statement of statements) {
    for (const action of statement.actions) {
      const resources = grants.get(action) ?? new Set<string>();
      for (const resource of statement.resources) resources.add(resource);
      grants.set(action, resources);
    }
  }
  return Object.fromEntries([...grants].map(([action, resources]) => [action, Object.freeze([...resources])]));
}

/** The condition operators a simulation can be given a satisfying value for; `Null: true` is met by leaving it out. */
const SATISFIABLE = new Set(['StringEquals', 'StringLike']);

/**
 * Action → the condition keys its statements test, each with a value that meets the condition as the rollback will
 * (the request tag a restore sets, the service a key is used through): what SimulatePrincipalPolicy's ContextEntries
 * need for a conditioned allow to simulate as allowed.
 */
function contextOf(statements: readonly iam.PolicyStatement[]): Record<string, SimulationContextEntry[]> {
  const byAction = new Map<string, Map<string, string>>();
  for (const statement of statements) {
    const conditions = (statement.toStatementJson() as { Condition?: Record<string, Record<string, unknown>> })
      .Condition;
    for (const [operator, keys] of Object.entries(conditions ?? {})) {
      if (!SATISFIABLE.has(operator)) continue;
      for (const [key, value] of Object.entries(keys)) {
        const first = Array.isArray(value) ? value[0] : value;
        if (typeof first !== 'string') continue;
        for (const action of statement.actions) {
          const entries = byAction.get(action) ?? new Map<string, string>();
          // A StringLike pattern is met by its text with every `*` filled in.
          entries.set(key, operator === 'StringLike' ? first.replaceAll('*', 'dry-run') : first);
          byAction.set(action, entries);
        }
      }
    }
  }
  return Object.fromEntries(
    [...byAction].map(([action, entries]) => [
      action,
      [...entries].map(([ContextKeyName, value]) => ({
        ContextKeyName,
        ContextKeyValues: [value],
        ContextKeyType: 'string' as const,
      })),
    ]),
  );
}

function coordinatorConfigFor(props: RollbackCoordinatorAgentProps, snapshotPrefix: string): CoordinatorConfig {
  const { config } = props;
  const restore = config.databaseRestore;
  return {
    listenerArn: config.listenerArn,
    clusterName: config.ecs.clusterName,
    database: config.database,
    autoDatabaseRollback: config.autoDatabaseRollback,
    errorRatePercent: config.thresholds.errorRatePercent,
    allowedRestoreResources: {
      subnetGroups: [restore.subnetGroupName],
      parameterGroups: [...restore.parameterGroupNames],
      optionGroups: [...(restore.optionGroupNames ?? [])],
      clusterParameterGroups: [...(restore.clusterParameterGroupNames ?? [])],
    },
    restore: {
      ...(restore.fenceSecurityGroupId === undefined ? {} : { fenceSecurityGroupId: restore.fenceSecurityGroupId }),
      acknowledgedBreaks: [...(restore.acknowledgedBreaks ?? [])],
      keepTemporaryCopyOnFailure: restore.keepTemporaryCopyOnFailure ?? false,
      ...(restore.kmsKeyArn === undefined ? {} : { kmsKeyArn: restore.kmsKeyArn }),
      ...(restore.monitoringRoleArn === undefined ? {} : { monitoringRoleArn: restore.monitoringRoleArn }),
      snapshotPrefix,
      // The restore's own share of the steps; the intake gives the loop RESTORE_SWAP_RESERVE_POLLS more.
      lastFencePoll: pollsWithin(config.databaseRestoreTimeoutSeconds, RESTORE_POLL_SECONDS),
    },
    metricsLagSeconds: METRICS_LAG_SECONDS,
    verifyWindowSeconds: ROLLBACK_VERIFY_SECONDS,
    tableName: props.table.tableName,
    lockKey: config.lockKey,
    region: config.where.region,
    eventBusName: config.eventBusName,
  };
}

/** The crew's snapshots of this stack: `…snapshot:<stack prefix>*` (or `cluster-snapshot:`). */
function stackSnapshots(arns: ApplicationArns, database: DatabaseConfig, snapshotPrefix: string): string {
  return arns.rds(database.kind === 'instance' ? 'snapshot' : 'cluster-snapshot', `${snapshotPrefix}*`);
}

/** Read-only lookups of what points at the database (proxies, their targets, cluster endpoints). */
function dependentsResources(arns: ApplicationArns, database: DatabaseConfig): string[] {
  const proxies = [arns.rds('db-proxy', '*'), arns.rds('target-group', '*')];
  return database.kind === 'instance' ? proxies : [...proxies, arns.rds('cluster-endpoint', '*')];
}

/** The wildcard patterns of the restore grants, named for their cdk-nag acknowledgement. */
function restoreWildcards(arns: ApplicationArns, database: DatabaseConfig, snapshotPrefix: string): string[] {
  const kind = database.kind === 'instance' ? 'db' : 'cluster';
  const copies = [
    arns.rds(kind, `${preservedIdentifierPrefix(database.identifier)}*`),
    arns.rds(kind, `${temporaryIdentifierPrefix(database.identifier)}*`),
    stackSnapshots(arns, database, snapshotPrefix),
    ...dependentsResources(arns, database),
  ];
  if (database.kind === 'instance') return copies;
  return [...copies, arns.rds('db', `${restoredMemberPrefix(database.identifier)}*`), arns.rds('db', '*')];
}

/**
 * RDS permissions of the database restore. Restores only from this stack's snapshots and only into the temporary
 * copy; ModifyDB* on production (fence, rename away, undo), its preserved copy (rename back) and the temporary copy
 * (settings, rename into the name); deletion of the temporary copy only.
 */
function restoreStatements(
  arns: ApplicationArns,
  config: ResolvedCrewConfig,
  snapshotPrefix: string,
): iam.PolicyStatement[] {
  const { database } = config;
  const resources = config.databaseRestore;
  const snapshots = stackSnapshots(arns, database, snapshotPrefix);
  const subnetGroup = arns.rds('subgrp', resources.subnetGroupName);
  const parameterGroups = resources.parameterGroupNames.map((name) => arns.rds('pg', name));
  // An instance's option group, or an Aurora MySQL cluster's: both restores require the og resource.
  const optionGroups = (resources.optionGroupNames ?? []).map((name) => arns.rds('og', name));
  const statements: iam.PolicyStatement[] = [];
  const kind = database.kind === 'instance' ? 'db' : 'cluster';
  const original = arns.rds(kind, database.identifier);
  const preserved = arns.rds(kind, `${preservedIdentifierPrefix(database.identifier)}*`);
  const temporary = arns.rds(kind, `${temporaryIdentifierPrefix(database.identifier)}*`);
  const proxies = new iam.PolicyStatement({
    actions: ['rds:DescribeDBProxies', 'rds:DescribeDBProxyTargets'],
    resources: [arns.rds('db-proxy', '*'), arns.rds('target-group', '*')],
  });
  if (database.kind === 'instance') {
    statements.push(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
        resources: [original, preserved, temporary],
      }),
      new iam.PolicyStatement({
        actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
        resources: [temporary, snapshots, subnetGroup, ...parameterGroups, ...optionGroups],
      }),
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource', 'rds:DeleteDBInstance'], resources: [temporary] }),
      proxies,
    );
  } else {
    // The copy's members are named after it (<id>-rb-new-<hash>-<hash>) and keep those names once the copy is
    // production: the name scopes them to this database, the tags to the temporary copy. The restore tags each member
    // TAG_TEMPORARY_MEMBER; the swap tags it TAG_PROMOTED before the copy takes the name. Nothing here may remove a
    // tag, nor tag or delete a promoted member: production's members stay out of reach, after any number of rollbacks.
    const members = arns.rds('db', `${restoredMemberPrefix(database.identifier)}*`);
    const notPromoted = { Null: { [`aws:ResourceTag/${TAG_PROMOTED}`]: 'true' } };
    const clusterParameterGroups = (resources.clusterParameterGroupNames ?? []).map((name) =>
      arns.rds('cluster-pg', name),
    );
    statements.push(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBClusters', 'rds:ModifyDBCluster'],
        resources: [original, preserved, temporary],
      }),
      // Member names are only known at run time; describing instances is read-only.
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [arns.rds('db', '*')] }),
      new iam.PolicyStatement({
        actions: ['rds:RestoreDBClusterFromSnapshot'],
        resources: [temporary, snapshots, subnetGroup, ...clusterParameterGroups, ...optionGroups],
      }),
      new iam.PolicyStatement({
        actions: ['rds:CreateDBInstance'],
        resources: [members, temporary, ...parameterGroups],
        conditions: {
          StringLike: {
            [`aws:RequestTag/${TAG_TEMPORARY_MEMBER}`]: `${temporaryIdentifierPrefix(database.identifier)}*`,
          },
        },
      }),
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [temporary] }),
      // The member's tags at its creation (the source member's own, any key), then TAG_PROMOTED; never once promoted.
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [members], conditions: notPromoted }),
      new iam.PolicyStatement({
        actions: ['rds:DeleteDBInstance'],
        resources: [members],
        conditions: {
          ...notPromoted,
          StringLike: {
            [`aws:ResourceTag/${TAG_TEMPORARY_MEMBER}`]: `${temporaryIdentifierPrefix(database.identifier)}*`,
          },
        },
      }),
      new iam.PolicyStatement({ actions: ['rds:DeleteDBCluster'], resources: [temporary] }),
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBClusterEndpoints'],
        resources: [original, arns.rds('cluster-endpoint', '*')],
      }),
      proxies,
    );
  }
  if (resources.kmsKeyArn !== undefined) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [resources.kmsKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': `rds.${config.where.region}.amazonaws.com` } },
      }),
    );
  }
  if (resources.monitoringRoleArn !== undefined) {
    statements.push(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [resources.monitoringRoleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' } },
      }),
    );
  }
  return statements;
}
