import type { Dimension, MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { DatabaseKind } from '../../shared/contracts';
import { METRIC_PERIOD_SECONDS } from './window';

/** Query ids (must match ^[a-z][a-zA-Z0-9_]*$). */
export const QUERY_IDS = {
  requests: 'requests',
  targetErrors: 'targetErrors',
  connectionErrors: 'connectionErrors',
  p95: 'p95Minute',
  p95Window: 'p95Window',
  healthyHosts: 'healthyHosts',
  elbErrors: 'elbErrors',
  elbRequests: 'elbRequests',
  dbConnections: 'dbConnections',
} as const;

export interface QueryTarget {
  /** `app/<name>/<id>`, from parseListenerArn. */
  readonly loadBalancerFullName: string;
  readonly database: { readonly kind: DatabaseKind; readonly identifier: string };
}

function targetGroupDimensions(loadBalancer: string, targetGroup: string): Dimension[] {
  return [
    { Name: 'LoadBalancer', Value: loadBalancer },
    { Name: 'TargetGroup', Value: targetGroup },
  ];
}

function albQuery(id: string, metricName: string, stat: string, period: number, dimensions: Dimension[]) {
  return {
    Id: id,
    MetricStat: {
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metricName, Dimensions: dimensions },
      Period: period,
      Stat: stat,
    },
    ReturnData: true,
  } satisfies MetricDataQuery;
}

/**
 * The load balancer's own numbers: its RequestCount and the 5xx it generates itself (HTTPCode_ELB_5XX_Count exists
 * per load balancer only; there is no TargetGroup dimension to tell whose they are).
 */
export function loadBalancerQueries(loadBalancer: string, period = METRIC_PERIOD_SECONDS): MetricDataQuery[] {
  const dimensions = [{ Name: 'LoadBalancer', Value: loadBalancer }];
  return [
    albQuery(QUERY_IDS.elbRequests, 'RequestCount', 'Sum', period, dimensions),
    albQuery(QUERY_IDS.elbErrors, 'HTTPCode_ELB_5XX_Count', 'Sum', period, dimensions),
  ];
}

/** One target group's per-minute traffic and errors, and the load balancer's, to attribute its own 5xx. */
export function trafficQueries(loadBalancer: string, targetGroup: string): MetricDataQuery[] {
  const dimensions = targetGroupDimensions(loadBalancer, targetGroup);
  return [
    albQuery(QUERY_IDS.requests, 'RequestCount', 'Sum', METRIC_PERIOD_SECONDS, dimensions),
    albQuery(QUERY_IDS.targetErrors, 'HTTPCode_Target_5XX_Count', 'Sum', METRIC_PERIOD_SECONDS, dimensions),
    albQuery(QUERY_IDS.connectionErrors, 'TargetConnectionErrorCount', 'Sum', METRIC_PERIOD_SECONDS, dimensions),
    albQuery(QUERY_IDS.p95, 'TargetResponseTime', 'p95', METRIC_PERIOD_SECONDS, dimensions),
    ...loadBalancerQueries(loadBalancer),
  ];
}

/** `DatabaseConnections` of the instance, or of an Aurora or Multi-AZ cluster's writer. */
export function databaseConnectionsQuery(database: QueryTarget['database']): MetricDataQuery {
  const dimensions: Dimension[] =
    database.kind === 'instance'
      ? [{ Name: 'DBInstanceIdentifier', Value: database.identifier }]
      : [
          { Name: 'DBClusterIdentifier', Value: database.identifier },
          { Name: 'Role', Value: 'WRITER' },
        ];
  return {
    Id: QUERY_IDS.dbConnections,
    MetricStat: {
      Metric: { Namespace: 'AWS/RDS', MetricName: 'DatabaseConnections', Dimensions: dimensions },
      Period: METRIC_PERIOD_SECONDS,
      Stat: 'Maximum',
    },
    ReturnData: true,
  };
}

/** Everything the canary verdict needs about green, over a window of `windowSeconds`. */
export function canaryQueries(target: QueryTarget, greenTargetGroup: string, windowSeconds: number): MetricDataQuery[] {
  const dimensions = targetGroupDimensions(target.loadBalancerFullName, greenTargetGroup);
  return [
    ...trafficQueries(target.loadBalancerFullName, greenTargetGroup),
    albQuery(QUERY_IDS.p95Window, 'TargetResponseTime', 'p95', windowSeconds, dimensions),
    albQuery(QUERY_IDS.healthyHosts, 'HealthyHostCount', 'Minimum', METRIC_PERIOD_SECONDS, dimensions),
    databaseConnectionsQuery(target.database),
  ];
}
