import type { ListenerArnParts } from '../../lambdas/shared/arns';

/**
 * ARNs of the application's resources, written out literally from the listener's partition, region and account
 * (the application lives there): literal ARNs keep policies readable and can name cdk-nag acknowledgements, which
 * must not contain unresolved tokens.
 */
export class ApplicationArns {
  constructor(readonly where: ListenerArnParts) {}

  arn(service: string, resource: string): string {
    return `arn:${this.where.partition}:${service}:${this.where.region}:${this.where.account}:${resource}`;
  }

  rds(resource: string, resourceName: string): string {
    return this.arn('rds', `${resource}:${resourceName}`);
  }

  ecs(resource: string, resourceName: string): string {
    return this.arn('ecs', `${resource}/${resourceName}`);
  }

  alarm(alarmName: string): string {
    return this.arn('cloudwatch', `alarm:${alarmName}`);
  }
}
