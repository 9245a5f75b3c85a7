import { parseListenerArn, parseTargetGroupArn } from '../../lambdas/shared/arns';

/** The fixed names and ARNs of the simulated production. Blue is live when a simulation starts. */
export const SIM = {
  region: 'eu-west-1',
  account: '123456789012',
  listenerArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2',
  blueTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067',
  greenTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/a1b2c3d4e5f60718',
  blueServiceName: 'shop-blue',
  greenServiceName: 'shop-green',
  clusterName: 'shop-prod',
  taskDefinitionFamily: 'shop-web',
  databaseIdentifier: 'shop-prod-db',
  dbMaxConnections: 400,
  alarmPrefix: 'DeploymentCrew',
  dashboardName: 'DeploymentCrew-deployment',
  logGroupName: '/ecs/shop-web',
} as const;

/** `app/shop-prod/50dc6c495c0c9188`: the `LoadBalancer` dimension of the ALB metrics. */
export const LOAD_BALANCER_FULL_NAME = parseListenerArn(SIM.listenerArn).loadBalancerFullName;
export const LOAD_BALANCER_ARN = parseListenerArn(SIM.listenerArn).loadBalancerArn;
export const BLUE_TARGET_GROUP = parseTargetGroupArn(SIM.blueTargetGroupArn);
export const GREEN_TARGET_GROUP = parseTargetGroupArn(SIM.greenTargetGroupArn);

/** The alarm names of lib/cutover-alarms.ts with `alarmNamePrefix: SIM.alarmPrefix`. */
export const SIM_ALARMS = {
  blueErrorRate: `${SIM.alarmPrefix}-${BLUE_TARGET_GROUP.name}-error-rate`,
  blueP95Latency: `${SIM.alarmPrefix}-${BLUE_TARGET_GROUP.name}-p95-latency`,
  greenErrorRate: `${SIM.alarmPrefix}-${GREEN_TARGET_GROUP.name}-error-rate`,
  greenP95Latency: `${SIM.alarmPrefix}-${GREEN_TARGET_GROUP.name}-p95-latency`,
  blueNoHealthyTargets: `${SIM.alarmPrefix}-${BLUE_TARGET_GROUP.name}-no-healthy-targets`,
  greenNoHealthyTargets: `${SIM.alarmPrefix}-${GREEN_TARGET_GROUP.name}-no-healthy-targets`,
  dbConnections: `${SIM.alarmPrefix}-db-connections`,
} as const;

/** The database groups the simulated instance uses: exactly what the restore's allowedResources must list. */
export const SIM_DATABASE_RESOURCES = {
  subnetGroups: ['shop-prod-db-subnets'],
  parameterGroups: ['shop-postgres16'],
  optionGroups: ['default:postgres-16'],
  clusterParameterGroups: [],
} as const satisfies Record<string, readonly string[]>;

export const SIM_DB_SECURITY_GROUP = 'sg-0d1b2c3d4e5f60718';
export const SIM_SERVICE_SUBNETS = ['subnet-0a1b2c3d4e5f60001', 'subnet-0a1b2c3d4e5f60002'] as const;
export const SIM_SERVICE_SECURITY_GROUP = 'sg-0a1b2c3d4e5f60003';
