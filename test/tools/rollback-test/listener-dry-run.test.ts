import {
  type Action,
  DescribeListenersCommand,
  ElasticLoadBalancingV2ServiceException,
  ListenerNotFoundException,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { isTransientAwsError } from '../../../lambdas/shared/errors';
import { fault, rejection, serviceThrottling } from '../../support/errors';
import { LISTENER_ARN, promotedAction, request, TG_BLUE, TG_GREEN } from './fixtures';
import { check, denied, elb, listenerReads, tool, useRollbackWorld } from './world';

/** The listener part: re-applied exactly as read, re-read, never fought over. */

useRollbackWorld();

describe('the listener', () => {
  it('re-sends a legacy single-group forward as read, TargetGroupArn and all', async () => {
    // Prepare
    const legacy: Action = { Type: 'forward', TargetGroupArn: TG_GREEN };
    listenerReads([legacy]);

    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(elb.commandCalls(ModifyListenerCommand).map((c) => c.args[0].input)).toStrictEqual([
      { ListenerArn: LISTENER_ARN, DefaultActions: [legacy] },
    ]);
    expect(check(result, 'listener-reapply')?.ok).toBe(true);
  });

  it('is not ready when ModifyListener is not allowed, and neither re-reads nor estimates', async () => {
    // Prepare
    elb.on(ModifyListenerCommand).rejects(denied(ElasticLoadBalancingV2ServiceException));

    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(result.ready).toBe(false);
    expect(result.checks.slice(2, 4)).toStrictEqual([
      { name: 'listener-reapply', ok: false, evidence: 'ModifyListener not allowed: AccessDenied: not authorized' },
      { name: 'listener-unchanged', ok: false, evidence: 'not checked: the current default action was not re-applied' },
    ]);
    expect(elb.commandCalls(DescribeListenersCommand)).toHaveLength(1);
    expect(result.estimatedRollbackSeconds).toBeNull();
    expect(result.estimate).toBeNull();
    expect(result.listenerRewrite).toBeNull();
    // The other checks still ran.
    expect(check(result, 'coordinator-permissions')?.ok).toBe(true);
  });

  it('reports weights changed by another writer between the read and the re-read, and does not fight them', async () => {
    // Prepare: a rollback put blue back at 100 % meanwhile.
    const rolledBack = promotedAction({
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: TG_BLUE, Weight: 100 },
          { TargetGroupArn: TG_GREEN, Weight: 0 },
        ],
        TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
      },
    });
    listenerReads([promotedAction()], [rolledBack]);

    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(1);
    expect(check(result, 'listener-reapply')?.ok).toBe(true);
    expect(check(result, 'listener-unchanged')).toStrictEqual({
      name: 'listener-unchanged',
      ok: false,
      evidence: expect.stringMatching(
        new RegExp(`^changed by another writer .*not corrected.*before .*${TG_BLUE}=0.*now ${TG_BLUE}=100`),
      ),
    });
    expect(result.ready).toBe(false);
    expect(result.estimatedRollbackSeconds).not.toBeNull();
  });

  it('does not re-write a listener whose default action the rollback could not write (not one forward)', async () => {
    // Prepare
    listenerReads([{ Type: 'authenticate-oidc', Order: 1 }, promotedAction({ Order: 2 })]);

    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
    expect(check(result, 'listener-reapply')).toMatchObject({
      ok: false,
      evidence: expect.stringMatching(/^not re-applied: .*exactly one default action of type 'forward'/),
    });
  });

  it('fails a listener that does not exist', async () => {
    // Prepare
    elb.on(DescribeListenersCommand).rejects(fault(ListenerNotFoundException, 'One or more listeners not found'));

    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(check(result, 'listener-reapply')?.evidence).toBe(
      'DescribeListeners not found: ListenerNotFoundException: One or more listeners not found',
    );
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('lets a throttled ModifyListener propagate for the state machine to retry', async () => {
    // Prepare
    elb.on(ModifyListenerCommand).rejects(serviceThrottling(ElasticLoadBalancingV2ServiceException, 'Throttling'));

    // Act
    const error = await rejection(tool.dryRun(request()));

    // Assess
    expect(error.name).toBe('Throttling');
    expect(isTransientAwsError(error)).toBe(true);
  });
});
