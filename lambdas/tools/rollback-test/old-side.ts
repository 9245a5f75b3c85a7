import { DescribeServicesCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import {
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseTargetGroupArn } from '../../shared/arns';
import type { Side } from '../../shared/cutover-contracts';
import { type RollbackCheck, refusalEvidence } from '../../shared/verification';

/**
 * The side a rollback returns to must be able to take all the traffic at once: enough healthy targets in its target
 * group (ALB keeps health-checking a group at weight 0), and its ECS service still at the size it had.
 */

/** Listed by id and reason in the evidence, at most this many. */
const LISTED_TARGETS = 5;

export async function oldSideTargetsCheck(
  client: ElasticLoadBalancingV2Client,
  side: Side,
  minHealthyTargets: number,
): Promise<RollbackCheck> {
  const check = (ok: boolean, evidence: string): RollbackCheck => ({ name: 'old-side-targets', ok, evidence });
  const group = parseTargetGroupArn(side.targetGroupArn).fullName;
  let descriptions: TargetHealthDescription[];
  try {
    const page = await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: side.targetGroupArn }));
    descriptions = page.TargetHealthDescriptions ?? [];
  } catch (error) {
    return check(false, `${group}: DescribeTargetHealth ${refusalEvidence(error, ['TargetGroupNotFoundException'])}`);
  }
  const healthy = descriptions.filter((d) => d.TargetHealth?.State === 'healthy').length;
  const others = descriptions
    .filter((d) => d.TargetHealth?.State !== 'healthy')
    .slice(0, LISTED_TARGETS)
    .map((d) => {
      const reason = d.TargetHealth?.Reason === undefined ? '' : ` ${d.TargetHealth.Reason}`;
      return `${d.Target?.Id ?? '?'}:${d.Target?.Port ?? '-'} ${d.TargetHealth?.State ?? 'unknown'}${reason}`;
    });
  const listed = others.length === 0 ? '' : `; not healthy: ${others.join(', ')}`;
  const evidence = `${group}: ${healthy} of ${descriptions.length} targets healthy, at least ${minHealthyTargets} needed${listed}`;
  return check(healthy >= minHealthyTargets, evidence);
}

export async function oldSideServiceCheck(
  client: ECSClient,
  clusterName: string,
  side: Side,
  expectedDesiredCount: number,
): Promise<RollbackCheck> {
  const check = (ok: boolean, evidence: string): RollbackCheck => ({ name: 'old-side-service', ok, evidence });
  const label = `service ${side.serviceName} in cluster ${clusterName}`;
  let service: Service | undefined;
  try {
    const page = await client.send(new DescribeServicesCommand({ cluster: clusterName, services: [side.serviceName] }));
    const failure = page.failures?.[0];
    if (failure !== undefined) {
      return check(
        false,
        `${label}: DescribeServices failed: ${failure.reason ?? 'no reason'} (${failure.arn ?? '?'})`,
      );
    }
    service = page.services?.[0];
  } catch (error) {
    return check(false, `${label}: DescribeServices ${refusalEvidence(error, ['ClusterNotFoundException'])}`);
  }
  if (service === undefined) return check(false, `${label}: not returned by DescribeServices`);
  const desired = service.desiredCount ?? 0;
  const running = service.runningCount ?? 0;
  const status = service.status ?? 'UNKNOWN';
  const ok = status === 'ACTIVE' && desired >= expectedDesiredCount && running >= expectedDesiredCount;
  return check(
    ok,
    `${label}: ${status}, desired ${desired}, running ${running}, pending ${service.pendingCount ?? 0}; ` +
      `at least ${expectedDesiredCount} desired and running needed`,
  );
}
