/**
 * Parsing of the load balancer ARNs the stack is configured with. CloudWatch names ALB metrics by the "full names"
 * embedded in these ARNs (`app/<name>/<id>` and `targetgroup/<name>/<id>`), so they are derived, never configured.
 */

export interface ListenerArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** `app/<load balancer name>/<id>`: the `LoadBalancer` dimension of AWS/ApplicationELB metrics. */
  readonly loadBalancerFullName: string;
  readonly loadBalancerArn: string;
}

export interface TargetGroupArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** `targetgroup/<name>/<id>`: the `TargetGroup` dimension of AWS/ApplicationELB metrics. */
  readonly fullName: string;
  readonly name: string;
}

const LISTENER_ARN =
  /^arn:(aws[a-z-]*):elasticloadbalancing:([a-z0-9-]+):(\d{12}):listener\/(app\/[A-Za-z0-9-]{1,32}\/[0-9a-f]+)\/[0-9a-f]+$/;
const TARGET_GROUP_ARN =
  /^arn:(aws[a-z-]*):elasticloadbalancing:([a-z0-9-]+):(\d{12}):(targetgroup\/([A-Za-z0-9-]{1,32})\/[0-9a-f]+)$/;

/** Parses an Application Load Balancer listener ARN; throws naming the value when it is not one. */
export function parseListenerArn(arn: string): ListenerArnParts {
  const match = LISTENER_ARN.exec(arn);
  if (!match) throw new Error(`not an Application Load Balancer listener ARN: ${arn}`);
  const [, partition = '', region = '', account = '', loadBalancerFullName = ''] = match;
  return {
    partition,
    region,
    account,
    loadBalancerFullName,
    loadBalancerArn: `arn:${partition}:elasticloadbalancing:${region}:${account}:loadbalancer/${loadBalancerFullName}`,
  };
}

/** Parses a target group ARN; throws naming the value when it is not one. */
export function parseTargetGroupArn(arn: string): TargetGroupArnParts {
  const match = TARGET_GROUP_ARN.exec(arn);
  if (!match) throw new Error(`not a target group ARN: ${arn}`);
  const [, partition = '', region = '', account = '', fullName = '', name = ''] = match;
  return { partition, region, account, fullName, name };
}
