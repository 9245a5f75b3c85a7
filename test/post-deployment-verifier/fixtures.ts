import * as v from 'valibot';
import {
  type PostDeploymentVerifierConfig,
  type PostDeploymentVerifierConfigInput,
  postDeploymentVerifierConfigSchema,
} from '../../lambdas/shared/config/post-deployment-verifier';
import type { BackupMetadata, DeploymentRef } from '../../lambdas/shared/contracts';
import type { Sides } from '../../lambdas/shared/cutover-contracts';
import type { SmokeReport } from '../../lambdas/shared/smoke-suite';
import type { MonitoringCheckResult, RollbackDryRunResult } from '../../lambdas/shared/verification';

/** The verifier's inputs and its tools' answers, as the state machine and the tools give them. */

export const LISTENER_ARN =
  'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2';
export const BLUE_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067';
export const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/2453ed029918f21f';
export const COORDINATOR_ROLE_ARN = 'arn:aws:iam::123456789012:role/shop-crew-rollback-coordinator';

export const DEPLOYMENT: DeploymentRef = {
  name: 'release-1-4-0',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:release-1-4-0',
  startedAt: '2026-11-24T09:00:00.000Z',
};

/** After promotion: green carries the traffic, blue (`live`, the side a rollback returns to) is at 0 %. */
export const SIDES: Sides = {
  live: { targetGroupArn: BLUE_TG, serviceName: 'shop-blue' },
  green: { targetGroupArn: GREEN_TG, serviceName: 'shop-green' },
  stickiness: null,
  resolvedAt: '2026-11-24T09:05:00.000Z',
};

export const BACKUP: BackupMetadata = {
  kind: 'instance',
  identifier: 'deploymentcrew-1a2b3c-shop-release-1-4-0',
  arn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-1a2b3c-shop-release-1-4-0',
  sourceIdentifier: 'shop-db',
  createdAt: '2026-11-24T09:02:00.000Z',
  engine: 'postgres',
  engineVersion: '16.4',
  allocatedStorageGiB: 100,
  encrypted: true,
  kmsKeyId: null,
  status: 'available',
  verifiedAt: '2026-11-24T09:03:00.000Z',
};

export function verifierConfig(
  overrides: Partial<PostDeploymentVerifierConfigInput> = {},
): PostDeploymentVerifierConfig {
  return v.parse(postDeploymentVerifierConfigSchema, {
    suite: [
      { name: 'login', flow: 'authentication', method: 'POST', path: '/api/login', body: { user: 'smoke' } },
      { name: 'list orders', flow: 'crud', path: '/api/orders', probe: true },
    ],
    productionUrl: 'https://shop.example.com',
    testListenerUrl: 'https://green.shop.example.com:8443',
    extraHeaders: { 'x-deployment-side': 'green' },
    monitoring: {
      alarmNames: ['shop-blue-error-rate', 'shop-db-connections'],
      dashboardName: 'shop-deployment',
      logGroupNames: ['/ecs/shop'],
      logsRecentWithinMinutes: 90,
    },
    dryRun: {
      clusterName: 'shop',
      coordinatorRoleArn: COORDINATOR_ROLE_ARN,
      rollbackActions: ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:DescribeListeners'],
      rollbackResources: { 'elasticloadbalancing:ModifyListener': [LISTENER_ARN] },
      minHealthyTargets: 2,
      expectedDesiredCount: 3,
      rollbackVerifySeconds: 120,
    },
    probe: {
      intervalMs: 5_000,
      rule: { failures: 3, withinMs: 15_000 },
      rollbackTriggerFunctionName: 'shop-crew-RollbackTrigger',
    },
    report: {
      bucketName: 'shop-crew-reports',
      region: 'eu-west-1',
      dashboards: [
        {
          name: 'shop-deployment',
          url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/shop-deployment',
        },
      ],
    },
    thresholds: {},
    listenerArn: LISTENER_ARN,
    tableName: 'shop-crew-state',
    lockKey: `LOCK#${LISTENER_ARN}`,
    ...overrides,
  });
}

export function smokeReport(target: string, failing: readonly string[] = []): SmokeReport {
  const steps = (['login', 'list orders'] as const).map((name) => ({
    name,
    flow: name === 'login' ? ('authentication' as const) : ('crud' as const),
    method: name === 'login' ? ('POST' as const) : ('GET' as const),
    path: name === 'login' ? '/api/login' : '/api/orders',
    status: failing.includes(name) ? 500 : 200,
    latencyMs: 42,
    passed: !failing.includes(name),
    failures: failing.includes(name) ? ['status 500, expected 200'] : [],
  }));
  return {
    target,
    startedAt: '2026-11-24T10:00:00.000Z',
    passed: failing.length === 0,
    steps,
    flows: {
      authentication: { passed: failing.includes('login') ? 0 : 1, total: 1 },
      crud: { passed: failing.includes('list orders') ? 0 : 1, total: 1 },
    },
  };
}

export function monitoringResult(missingAlarm: string | null = null): MonitoringCheckResult {
  const checks = [
    { kind: 'alarm' as const, name: 'shop-blue-error-rate', ok: true, evidence: 'OK, actions enabled' },
    {
      kind: 'alarm' as const,
      name: 'shop-db-connections',
      ok: missingAlarm === null,
      evidence: missingAlarm === null ? 'OK, actions enabled' : 'not found',
    },
    { kind: 'dashboard' as const, name: 'shop-deployment', ok: true, evidence: 'exists with 6 widgets' },
  ];
  return {
    checkedAt: '2026-11-24T10:05:00.000Z',
    ok: checks.every((check) => check.ok),
    checks,
    risks: checks.filter((check) => !check.ok).map((check) => `${check.kind} ${check.name}: ${check.evidence}`),
  };
}

/** A ready dry run whose listener read and re-write took place at 10:10:00.000 and 10:10:00.300. */
export function dryRunResult(rewrite: RollbackDryRunResult['listenerRewrite'] = REWRITE): RollbackDryRunResult {
  return {
    checkedAt: '2026-11-24T10:10:01.000Z',
    ready: true,
    checks: [{ name: 'listener-reapply', ok: true, evidence: 'ModifyListener accepted the current default action' }],
    estimatedRollbackSeconds: 131,
    estimate: {
      modifyListenerSeconds: 0.3,
      confirmationReads: 5,
      describeListenersSeconds: 0.1,
      confirmationWaitSeconds: 3.75,
      rollbackVerifySeconds: 120,
      tasks: 2,
      taskOverheadSeconds: 2,
      totalSeconds: 131,
    },
    listenerRewrite: rewrite,
  };
}

export const REWRITE = { readAt: '2026-11-24T10:10:00.000Z', acceptedAt: '2026-11-24T10:10:00.300Z' };
