import {
  DescribeListenersCommand,
  ElasticLoadBalancingV2ServiceException,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMServiceException, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeDBSnapshotsCommand, RDSServiceException } from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import type { ListenerRewrite } from '../../../lambdas/shared/verification';
import { rejection, serviceThrottling } from '../../support/errors';
import { LISTENER_ARN, promotedAction, request, T0 } from './fixtures';
import { denied, elb, iam, rds, time, tool, useRollbackWorld } from './world';

/**
 * The listener re-write is the dry run's only write, and the caller guards it against an overwritten rollback: it is
 * made last, after every check that may throw, and reported the moment it is accepted, even when the dry run throws.
 */

useRollbackWorld();

describe('the listener re-write comes last', () => {
  it.each([
    [
      'IAM throttles the permission simulation',
      () => iam.on(SimulatePrincipalPolicyCommand).rejects(serviceThrottling(IAMServiceException, 'Throttling')),
    ],
    [
      'RDS throttles the snapshot read',
      () => rds.on(DescribeDBSnapshotsCommand).rejects(serviceThrottling(RDSServiceException, 'ThrottlingException')),
    ],
  ])('writes nothing to the listener when %s', async (_, prepare) => {
    // Prepare
    prepare();
    const rewrites: ListenerRewrite[] = [];

    // Act
    const error = await rejection(tool.dryRun(request(), { onListenerRewrite: (r) => rewrites.push(r) }));

    // Assess
    expect(error.message).toBe('Rate exceeded');
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
    expect(rewrites).toStrictEqual([]);
  });

  it('keeps the checks in their report order', async () => {
    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(result.checks.map((c) => c.name)).toStrictEqual([
      'old-side-targets',
      'old-side-service',
      'listener-reapply',
      'listener-unchanged',
      'snapshot',
      'coordinator-permissions',
    ]);
  });
});

describe('the accepted re-write is reported at once', () => {
  it('reports it once, as the result gives it', async () => {
    // Prepare
    const rewrites: ListenerRewrite[] = [];

    // Act
    const result = await tool.dryRun(request(), { onListenerRewrite: (r) => rewrites.push(r) });

    // Assess
    expect(rewrites).toStrictEqual([
      { readAt: new Date(T0).toISOString(), acceptedAt: new Date(T0 + 200).toISOString() },
    ]);
    expect(result.listenerRewrite).toStrictEqual(rewrites[0]);
  });

  it('reports it before a throttled re-read makes the dry run throw', async () => {
    // Prepare
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce({ Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: [promotedAction()] }] })
      .rejects(serviceThrottling(ElasticLoadBalancingV2ServiceException, 'Throttling'));
    const rewrites: ListenerRewrite[] = [];

    // Act
    const error = await rejection(tool.dryRun(request(), { onListenerRewrite: (r) => rewrites.push(r) }));

    // Assess
    expect(error.name).toBe('Throttling');
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(1);
    expect(rewrites).toStrictEqual([
      { readAt: new Date(T0).toISOString(), acceptedAt: new Date(time.now).toISOString() },
    ]);
  });

  it('reports nothing when ModifyListener was refused', async () => {
    // Prepare
    elb.on(ModifyListenerCommand).rejects(denied(ElasticLoadBalancingV2ServiceException));
    const rewrites: ListenerRewrite[] = [];

    // Act
    const result = await tool.dryRun(request(), { onListenerRewrite: (r) => rewrites.push(r) });

    // Assess
    expect(result.listenerRewrite).toBeNull();
    expect(rewrites).toStrictEqual([]);
  });
});
