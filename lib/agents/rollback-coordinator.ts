import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { DatabaseConfig } from '../../lambdas/shared/config/database';
import { COORDINATOR_CONFIG, type CoordinatorConfig } from '../../lambdas/shared/config/rollback-coordinator';
import { preservedIdentifierPrefix, RESTORED_MEMBER_SUFFIX } from '../../lambdas/shared/rds-names';
import { AgentFunction } from '../agent-function';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import { METRICS_LAG_SECONDS, ROLLBACK_VERIFY_SECONDS } from '../config/time-budget';
import { ApplicationArns } from '../iam/application-arns';
import { acknowledgeReadOnlyWildcards, listenerStatements, tableStatement } from '../iam/shared-statements';

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
 * rate afterwards, the database restore (a rename swap) and the escalation runbook. Its RDS permissions name this
 * database, its preserved copy, the crew's snapshots and exactly the groups a restore re-uses.
 */
export class RollbackCoordinatorAgent extends AgentFunction {
  constructor(scope: Construct, id: string, props: RollbackCoordinatorAgentProps) {
    const { config } = props;
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'rollback-coordinator',
      description: 'DeploymentCrew RollbackCoordinator: rollback decision, traffic and database rollback, escalation',
      environment: COORDINATOR_CONFIG.environment(coordinatorConfigFor(props)),
      timeout: Duration.seconds(60),
      invokedSynchronouslyBy: 'Step Functions',
    });
    const arns = new ApplicationArns(config.where);
    for (const statement of [
      ...listenerStatements(config.listenerArn),
      new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      ...restoreStatements(arns, config),
      tableStatement(props.table, 'GetItem', 'UpdateItem'),
    ]) {
      this.role.addToPolicy(statement);
    }
    acknowledgeReadOnlyWildcards(
      this.role,
      'elasticloadbalancing:DescribeListeners/DescribeRules/DescribeTargetHealth, cloudwatch:GetMetricData',
    );
    Validations.of(this.role).acknowledge(
      ...restoreWildcards(arns, config.database).map((resource) => ({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          'Names made at run time from this database: the preserved copy (<id>-pre-rb-<hash>), the restored ' +
          'Aurora members (<member>-rb) and the deploymentcrew- snapshots. Each pattern is anchored on them.',
      })),
    );
  }
}

function coordinatorConfigFor(props: RollbackCoordinatorAgentProps): CoordinatorConfig {
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
    metricsLagSeconds: METRICS_LAG_SECONDS,
    verifyWindowSeconds: ROLLBACK_VERIFY_SECONDS,
    tableName: props.table.tableName,
    lockKey: config.lockKey,
    region: config.where.region,
  };
}

/** The wildcard patterns of the restore grants, named for their cdk-nag acknowledgement. */
function restoreWildcards(arns: ApplicationArns, database: DatabaseConfig): string[] {
  const preserved = `${preservedIdentifierPrefix(database.identifier)}*`;
  if (database.kind === 'instance') {
    return [arns.rds('db', preserved), arns.snapshots(database)];
  }
  return [
    arns.rds('cluster', preserved),
    arns.snapshots(database),
    arns.rds('db', `*${RESTORED_MEMBER_SUFFIX}`),
    arns.rds('db', '*'),
  ];
}

/**
 * RDS permissions of the database restore (rename swap): this database, its preserved copy, the crew's snapshots,
 * and exactly the groups the restore re-uses.
 */
function restoreStatements(arns: ApplicationArns, config: ResolvedCrewConfig): iam.PolicyStatement[] {
  const { database } = config;
  const resources = config.databaseRestore;
  const preserved = `${preservedIdentifierPrefix(database.identifier)}*`;
  const snapshots = arns.snapshots(database);
  const subnetGroup = arns.rds('subgrp', resources.subnetGroupName);
  const parameterGroups = resources.parameterGroupNames.map((name) => arns.rds('pg', name));
  const statements: iam.PolicyStatement[] = [];
  if (database.kind === 'instance') {
    const original = arns.rds('db', database.identifier);
    const optionGroups = (resources.optionGroupNames ?? []).map((name) => arns.rds('og', name));
    statements.push(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBInstances'],
        resources: [original, arns.rds('db', preserved)],
      }),
      new iam.PolicyStatement({
        actions: ['rds:ModifyDBInstance'],
        resources: [original, arns.rds('db', preserved)],
      }),
      new iam.PolicyStatement({
        actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
        resources: [original, snapshots, subnetGroup, ...parameterGroups, ...optionGroups],
      }),
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [original] }),
    );
  } else {
    const original = arns.rds('cluster', database.identifier);
    const members = arns.rds('db', `*${RESTORED_MEMBER_SUFFIX}`);
    const clusterParameterGroups = (resources.clusterParameterGroupNames ?? []).map((name) =>
      arns.rds('cluster-pg', name),
    );
    statements.push(
      new iam.PolicyStatement({
        actions: ['rds:DescribeDBClusters'],
        resources: [original, arns.rds('cluster', preserved)],
      }),
      // Member names are only known at run time; describing instances is read-only.
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [arns.rds('db', '*')] }),
      new iam.PolicyStatement({
        actions: ['rds:ModifyDBCluster'],
        resources: [original, arns.rds('cluster', preserved)],
      }),
      new iam.PolicyStatement({
        actions: ['rds:RestoreDBClusterFromSnapshot'],
        resources: [original, snapshots, subnetGroup, ...clusterParameterGroups],
      }),
      new iam.PolicyStatement({
        actions: ['rds:CreateDBInstance'],
        resources: [members, original, ...parameterGroups],
      }),
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [original, members] }),
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
  return statements;
}
