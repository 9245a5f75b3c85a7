import { Duration, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { DatabaseConfig } from '../../lambdas/shared/config/database';
import { DATABASE, HEALTH_CHECKS } from '../../lambdas/shared/config/pre-deployment-validator';
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
    super(scope, id, {
      logRetention: config.logRetention,
      agent: 'pre-deployment-validator',
      description: 'DeploymentCrew PreDeploymentValidator: health checks, dependency matrix, verified RDS snapshot',
      environment: { ...HEALTH_CHECKS.environment(config.healthChecks), ...DATABASE.environment(config.database) },
      timeout: Duration.seconds(90),
      invokedSynchronouslyBy: 'Step Functions',
    });
    const arns = new ApplicationArns(config.where);
    for (const statement of backupStatements(arns, config.database)) this.role.addToPolicy(statement);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${arns.snapshots(config.database)}]`,
      reason:
        'Snapshot names derive from the execution name at run time; the grant is limited to the deploymentcrew- ' +
        'prefix the backup tool gives every snapshot it creates, on this database only.',
    });
  }
}

/** RDS permissions of the backup tool: only this database and the snapshots it names itself. */
function backupStatements(arns: ApplicationArns, database: DatabaseConfig): iam.PolicyStatement[] {
  const snapshots = arns.snapshots(database);
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
