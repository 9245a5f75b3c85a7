import type { MetricDataResult } from '@aws-sdk/client-cloudwatch';
import type { LoadBalancerBaseline } from '../../../lambdas/shared/cutover-contracts';
import type { MetricsMonitorConfig } from '../../../lambdas/tools/metrics-monitor';

export const LB = 'app/shop/50dc6c495c0c9188';
export const GREEN = 'targetgroup/shop-green/8a067e2d6bc24d73';
export const BLUE = 'targetgroup/shop-blue/73e2d6bc24d8a067';
export const CONFIG: MetricsMonitorConfig = {
  loadBalancerFullName: LB,
  database: { kind: 'instance', identifier: 'shop-db' },
  dbMaxConnections: 200,
};

/** A 5-minute bake that does not start on a minute: queried as 10:00 to 10:06. */
export const WINDOW = { start: new Date('2026-11-24T10:00:20.000Z'), end: new Date('2026-11-24T10:05:20.000Z') };
export const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 10, minute));
/** Long after the window: every minute has ended. */
export const LATER = at(30);

/** The load balancer's own 5xx at 0.1 % of its requests before the shift. */
export const BASELINE: LoadBalancerBaseline = {
  windowStart: '2026-11-24T09:40:00.000Z',
  windowEnd: '2026-11-24T09:55:00.000Z',
  requests: 100_000,
  errors: 100,
  errorRatePercent: 0.1,
  measuredAt: '2026-11-24T09:58:00.000Z',
};

export function series(id: string, points: [minute: number, value: number][]): MetricDataResult {
  return {
    Id: id,
    StatusCode: 'Complete',
    Timestamps: points.map(([minute]) => at(minute)),
    Values: points.map(([, value]) => value),
  };
}

export const albDimensions = (targetGroup: string) => [
  { Name: 'LoadBalancer', Value: LB },
  { Name: 'TargetGroup', Value: targetGroup },
];

export const albQuery = (
  id: string,
  metric: string,
  stat: string,
  period: number,
  targetGroup: string | null = GREEN,
) => ({
  Id: id,
  MetricStat: {
    Metric: {
      Namespace: 'AWS/ApplicationELB',
      MetricName: metric,
      Dimensions: targetGroup === null ? [{ Name: 'LoadBalancer', Value: LB }] : albDimensions(targetGroup),
    },
    Period: period,
    Stat: stat,
  },
  ReturnData: true,
});
