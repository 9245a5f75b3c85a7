import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { PROBE_METRIC } from '../../shared/probe-metrics';
import type { ProbePublisher } from './types';

/** The custom metrics the prober publishes (namespace, names): defined in lambdas/shared, which the stack reads. */
export { PROBE_METRIC };

/**
 * Publishes each round at 1-second resolution (StorageResolution 1): 1 for a passed round, 0 for a failed one, and
 * the round's latency, by deployment and side, so that the signal exists even at low traffic.
 */
export function cloudWatchProbePublisher(
  client: CloudWatchClient,
  dimensions: { readonly deployment: string; readonly targetGroup: string },
): ProbePublisher {
  const Dimensions = [
    { Name: 'Deployment', Value: dimensions.deployment },
    { Name: 'TargetGroup', Value: dimensions.targetGroup },
  ];
  return {
    async publish(round) {
      await client.send(
        new PutMetricDataCommand({
          Namespace: PROBE_METRIC.namespace,
          MetricData: [
            {
              MetricName: PROBE_METRIC.success,
              Dimensions,
              Timestamp: round.at,
              Value: round.passed ? 1 : 0,
              Unit: 'Count',
              StorageResolution: 1,
            },
            {
              MetricName: PROBE_METRIC.latency,
              Dimensions,
              Timestamp: round.at,
              Value: round.latencyMs,
              Unit: 'Milliseconds',
              StorageResolution: 1,
            },
          ],
        }),
      );
    },
  };
}
