import type { Service } from '@aws-sdk/client-ecs';
import type { Action, TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EvaluationResult } from '@aws-sdk/client-iam';
import type { BackupMetadata } from '../../../lambdas/shared/contracts';
import type { Sides } from '../../../lambdas/shared/cutover-contracts';
import type { RollbackDryRunRequestInput } from '../../../lambdas/shared/verification';

/** After promotion: blue (the old side) at 0 %, green at 100 %; a rollback would put blue back to 100 %. */

const REGION_ACCOUNT = 'eu-west-1:123456789012';
export const LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION_ACCOUNT}:listener/app/orders-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const TG_BLUE = `arn:aws:elasticloadbalancing:${REGION_ACCOUNT}:targetgroup/orders-blue/1111111111111111`;
export const TG_GREEN = `arn:aws:elasticloadbalancing:${REGION_ACCOUNT}:targetgroup/orders-green/2222222222222222`;
export const CLUSTER = 'orders-cluster';
export const BLUE_SERVICE_ARN = `arn:aws:ecs:${REGION_ACCOUNT}:service/${CLUSTER}/orders-blue`;
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/DeploymentCrew-RollbackCoordinatorRole-1A2B3C';
export const T0 = Date.parse('2026-11-24T12:00:00.000Z');

export const sides: Sides = {
  live: { targetGroupArn: TG_BLUE, serviceName: 'orders-blue' },
  green: { targetGroupArn: TG_GREEN, serviceName: 'orders-green' },
  stickiness: null,
  resolvedAt: '2026-11-24T10:00:00.000Z',
};

export const snapshot: BackupMetadata = {
  kind: 'instance',
  identifier: 'deploymentcrew-a1b2c3-orders-release-1-4-0-9d7c36ba',
  arn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-a1b2c3-orders-release-1-4-0-9d7c36ba',
  sourceIdentifier: 'orders-db',
  createdAt: '2026-11-24T10:01:00.000Z',
  engine: 'postgres',
  engineVersion: '16.4',
  allocatedStorageGiB: 100,
  encrypted: true,
  kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1111-2222',
  status: 'available',
  verifiedAt: '2026-11-24T10:09:00.000Z',
};

/** The listener's default action as DescribeListeners returns it after promotion. */
export function promotedAction(overrides: Partial<Action> = {}): Action {
  return {
    Type: 'forward',
    Order: 1,
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: TG_BLUE, Weight: 0 },
        { TargetGroupArn: TG_GREEN, Weight: 100 },
      ],
      TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
    },
    ...overrides,
  };
}

type TargetState = NonNullable<NonNullable<TargetHealthDescription['TargetHealth']>['State']>;

/** One target per state; every target that is not healthy timed out its health check. */
export function targets(states: readonly TargetState[]): TargetHealthDescription[] {
  return states.map((state, i) => ({
    Target: { Id: `10.0.1.${i + 10}`, Port: 8080 },
    TargetHealth: state === 'healthy' ? { State: state } : { State: state, Reason: 'Target.Timeout' },
  }));
}

export function blueService(overrides: Partial<Service> = {}): Service {
  return {
    serviceName: 'orders-blue',
    serviceArn: BLUE_SERVICE_ARN,
    status: 'ACTIVE',
    desiredCount: 4,
    runningCount: 4,
    pendingCount: 0,
    ...overrides,
  };
}

export function decision(action: string, resources: readonly string[] = []): EvaluationResult {
  return {
    EvalActionName: action,
    EvalResourceName: resources.length === 0 ? '*' : '(the ARN template of the resource type)',
    EvalDecision: 'allowed',
    ...(resources.length === 0
      ? {}
      : { ResourceSpecificResults: resources.map((r) => ({ EvalResourceName: r, EvalResourceDecision: 'allowed' })) }),
  };
}

export const ROLLBACK_ACTIONS = [
  'elasticloadbalancing:ModifyListener',
  'elasticloadbalancing:DescribeListeners',
  'elasticloadbalancing:DescribeTargetHealth',
  'ecs:UpdateService',
];

export function request(overrides: Partial<RollbackDryRunRequestInput> = {}): RollbackDryRunRequestInput {
  return {
    listenerArn: LISTENER_ARN,
    sides,
    clusterName: CLUSTER,
    minHealthyTargets: 2,
    expectedDesiredCount: 4,
    snapshot,
    coordinatorRoleArn: ROLE_ARN,
    rollbackActions: ROLLBACK_ACTIONS,
    rollbackResources: {
      'elasticloadbalancing:ModifyListener': [LISTENER_ARN],
      'ecs:UpdateService': [BLUE_SERVICE_ARN],
    },
    estimate: { rollbackVerifySeconds: 90, taskOverheadSeconds: 2 },
    ...overrides,
  };
}
