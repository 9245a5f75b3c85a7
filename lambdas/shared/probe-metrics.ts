/**
 * The custom metrics the prober publishes (namespace, names), with the dimensions `Deployment` and `TargetGroup`: the
 * prober writes them, the dashboard and the alarms read them, so the names live here and nowhere else.
 */
export const PROBE_METRIC = {
  namespace: 'DeploymentCrew/Probes',
  success: 'ProbeSuccess',
  latency: 'ProbeLatency',
} as const;
