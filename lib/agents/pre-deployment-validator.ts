import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { DatabaseConfig } from '../../lambdas/shared/config/database';
import { DATABASE, HEALTH_CHECKS } from '../../lambdas/shared/config/pre-deployment-validator';
import { SNAPSHOT_NAMING, SNAPSHOT_PREFIX, snapshotPrefixFor } from '../../lambdas/shared/rds-names';
import { AgentFunction } from '../agent-function';
import type { ResolvedCrewConfig } from '../config/resolve-config';
import { ApplicationArns } from '../iam/application-arns';

/**
 * Properties of the PreDeploymentValidator.
 */
export interface PreDeploymentValidatorAgentProps {
  /** The crew's configuration, resolved and checked. */
  readonly config: ResolvedCrewConfig;
}

/**
 * PreDeploymentValidator: production health checks and external dependencies into the dependency matrix, and the
 * deployment's RDS snapshot, created and verified. Its only write is that snapshot (and its tags).
 */
export class PreDeploymentValidatorAgent extends AgentFunction {
  constructor(scope: Construct, id: string, props: PreDeploymentValidatorAgentProps) {
    const { config } = props;
    const prefix = snapshotPrefixFor(Stack.of(scope).stackName);
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'pre-deployment-validator',
      description: 'DeploymentCrew PreDeploymentValidator: health checks, dependency matrix, verified RDS snapshot',
      environment: {
        ...HEALTH_CHECKS.environment(config.healthChecks),
        ...DATABASE.environment(config.database),
        ...SNAPSHOT_NAMING.environment({ prefix }),
      },
      timeout: Duration.seconds(90),
      invokedSynchronouslyBy: 'Step Functions',
    });
    const arns = new ApplicationArns(config.where);
    const snapshots = arns.rds(config.database.kind === 'instance' ? 'snapshot' : 'cluster-snapshot', `${prefix}*`);
    for (const statement of backupStatements(arns, config.database, snapshots)) this.role.addToPolicy(statement);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${snapshots}]`,
      reason:
        'Snapshot names derive from the execution name at run time; the grant is limited to the prefix the backup ' +
        `tool gives every snapshot of this stack (${SNAPSHOT_PREFIX}<stack hash>-<stack name>-), on this database only.`,
    });
  }
}

/** RDS permissions of the backup tool: only this database and the snapshots it names itself. */
function backupStatements(arns: ApplicationArns, database: DatabaseConfig, snapshots: string): iam.PolicyStatement[] {
  if (database.kind === 'instance') {
    const instance = arns.rds('db', database.identifier);
    return [
      new iam.PolicyStatement({ actions: ['rds:CreateDBSnapshot'], resources: [instance, snapshots] }),
      new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [snapshots] }),
      new iam.PolicyStatement({ actions: ['rds:DescribeDBSnapshots'], resources: [instance, snapshots] }),
      new iam.PolicyStatement({ actions: ['rds:DescribeDBInstances'], resources: [instance] }),
    ];
  }
  const cluster = arns.rds('cluster', database.identifier);
  return [
    new iam.PolicyStatement({ actions: ['rds:CreateDBClusterSnapshot'], resources: [cluster, snapshots] }),
    new iam.PolicyStatement({ actions: ['rds:AddTagsToResource'], resources: [snapshots] }),
    new iam.PolicyStatement({ actions: ['rds:DescribeDBClusterSnapshots'], resources: [cluster, snapshots] }),
    new iam.PolicyStatement({ actions: ['rds:DescribeDBClusters'], resources: [cluster] }),
  ];
}
