import { IAMServiceException, NoSuchEntityException, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import {
  DBClusterSnapshotNotFoundFault,
  DBSnapshotNotFoundFault,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBSnapshotsCommand,
} from '@aws-sdk/client-rds';
import { describe, expect, it } from 'vitest';
import { fault, rejection } from '../../support/errors';
import { BLUE_SERVICE_ARN, decision, ROLE_ARN, ROLLBACK_ACTIONS, request, snapshot } from './fixtures';
import { check, denied, iam, rds, tool, useRollbackWorld } from './world';

/** The snapshot a database rollback needs and the coordinator's permissions. */

useRollbackWorld();

describe('the snapshot', () => {
  it('reads an Aurora snapshot with DescribeDBClusterSnapshots', async () => {
    // Prepare
    const cluster = {
      ...snapshot,
      kind: 'cluster' as const,
      arn: 'arn:aws:rds:eu-west-1:123456789012:cluster-snapshot:s1',
      identifier: 's1',
    };
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        { DBClusterSnapshotIdentifier: 's1', DBClusterSnapshotArn: cluster.arn, Status: 'available' },
      ],
    });

    // Act
    const result = await tool.dryRun(request({ snapshot: cluster }));

    // Assess
    expect(rds.commandCalls(DescribeDBClusterSnapshotsCommand).map((c) => c.args[0].input)).toStrictEqual([
      { DBClusterSnapshotIdentifier: 's1' },
    ]);
    expect(rds.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(0);
    expect(check(result, 'snapshot')?.ok).toBe(true);
  });

  it.each([
    [
      'instance',
      () => fault(DBSnapshotNotFoundFault, 'not found'),
      'DescribeDBSnapshots not found: DBSnapshotNotFoundFault',
    ],
    [
      'cluster',
      () => fault(DBClusterSnapshotNotFoundFault, 'not found'),
      'DescribeDBClusterSnapshots not found: DBClusterSnapshotNotFoundFault',
    ],
  ] as const)('fails a deleted %s snapshot', async (kind, error, evidence) => {
    // Prepare
    rds.on(DescribeDBSnapshotsCommand).rejects(error());
    rds.on(DescribeDBClusterSnapshotsCommand).rejects(error());

    // Act
    const result = await tool.dryRun(request({ snapshot: { ...snapshot, kind } }));

    // Assess
    expect(check(result, 'snapshot')).toMatchObject({ ok: false, evidence: expect.stringContaining(evidence) });
  });

  it('fails a snapshot that is no longer available, or is not the verified one', async () => {
    // Prepare
    rds
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({ DBSnapshots: [{ DBSnapshotArn: snapshot.arn, Status: 'deleting' }] })
      .resolves({
        DBSnapshots: [{ DBSnapshotArn: 'arn:aws:rds:eu-west-1:999999999999:snapshot:other', Status: 'available' }],
      });

    // Act
    const deleting = await tool.dryRun(request());
    const other = await tool.dryRun(request());

    // Assess
    expect(check(deleting, 'snapshot')).toMatchObject({
      ok: false,
      evidence: expect.stringContaining(': deleting (verified'),
    });
    expect(check(other, 'snapshot')).toMatchObject({
      ok: false,
      evidence: expect.stringContaining('not the verified'),
    });
  });
});

describe("the coordinator's permissions", () => {
  it('is not ready when an action is denied on one of its resources, and says which', async () => {
    // Prepare
    iam.on(SimulatePrincipalPolicyCommand, { ActionNames: ['ecs:UpdateService'] }).resolves({
      EvaluationResults: [
        {
          EvalActionName: 'ecs:UpdateService',
          EvalDecision: 'implicitDeny',
          ResourceSpecificResults: [{ EvalResourceName: BLUE_SERVICE_ARN, EvalResourceDecision: 'implicitDeny' }],
        },
      ],
    });

    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(result.ready).toBe(false);
    expect(check(result, 'coordinator-permissions')?.evidence).toBe(
      `role ${ROLE_ARN} is not allowed 1 of 4 rollback actions: ecs:UpdateService: implicitDeny on ${BLUE_SERVICE_ARN}`,
    );
  });

  it('follows Marker pages and fails an action the simulation never answered', async () => {
    // Prepare
    iam
      .on(SimulatePrincipalPolicyCommand, {
        ActionNames: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeTargetHealth'],
      })
      .callsFake((input: { Marker?: string }) =>
        input.Marker === undefined
          ? { EvaluationResults: [decision('elasticloadbalancing:DescribeListeners')], IsTruncated: true, Marker: 'm2' }
          : { EvaluationResults: [], IsTruncated: false },
      );

    // Act
    const result = await tool.dryRun(request());

    // Assess
    const pages = iam
      .commandCalls(SimulatePrincipalPolicyCommand)
      .map((c) => c.args[0].input)
      .filter((input) => input.ResourceArns === undefined);
    expect(pages.map((input) => input.Marker)).toStrictEqual([undefined, 'm2']);
    expect(check(result, 'coordinator-permissions')?.evidence).toContain(
      'elasticloadbalancing:DescribeTargetHealth: the simulation returned no result',
    );
  });

  it('fails for a role that does not exist, and for a verifier that may not simulate', async () => {
    // Prepare
    iam
      .on(SimulatePrincipalPolicyCommand)
      .rejectsOnce(fault(NoSuchEntityException, 'The role with name X cannot be found.'))
      .rejects(denied(IAMServiceException));

    // Act
    const missing = await tool.dryRun(request());
    const refused = await tool.dryRun(request());

    // Assess
    expect(check(missing, 'coordinator-permissions')?.evidence).toBe(
      `role ${ROLE_ARN}: SimulatePrincipalPolicy not found: NoSuchEntityException: The role with name X cannot be found.`,
    );
    expect(check(refused, 'coordinator-permissions')?.evidence).toBe(
      `role ${ROLE_ARN}: SimulatePrincipalPolicy not allowed: AccessDenied: not authorized`,
    );
  });
});

describe("the coordinator's permissions under conditions", () => {
  const passRole = {
    ContextKeyName: 'iam:PassedToService',
    ContextKeyValues: ['ecs-tasks.amazonaws.com'],
    ContextKeyType: 'string' as const,
  };

  it('sends the context entries of an action exactly, in a simulation of its own', async () => {
    // Act
    const result = await tool.dryRun(
      request({
        rollbackActions: [...ROLLBACK_ACTIONS, 'iam:PassRole'],
        rollbackContext: { 'iam:PassRole': [passRole] },
      }),
    );

    // Assess
    const inputs = iam.commandCalls(SimulatePrincipalPolicyCommand).map((c) => c.args[0].input);
    expect(inputs.filter((input) => input.ContextEntries !== undefined)).toStrictEqual([
      { PolicySourceArn: ROLE_ARN, ActionNames: ['iam:PassRole'], ContextEntries: [passRole] },
    ]);
    expect(inputs.filter((input) => input.ActionNames?.includes('iam:PassRole'))).toHaveLength(1);
    expect(check(result, 'coordinator-permissions')?.ok).toBe(true);
  });

  it('refuses context for an action that is not in the list', async () => {
    // Act
    const error = await rejection(tool.dryRun(request({ rollbackContext: { 'iam:PassRole': [passRole] } })));

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(iam.calls()).toHaveLength(0);
  });

  it('says an implicit deny for lack of context is not proven, and names the missing keys', async () => {
    // Prepare
    iam.on(SimulatePrincipalPolicyCommand, { ActionNames: ['ecs:UpdateService'] }).resolves({
      EvaluationResults: [
        {
          EvalActionName: 'ecs:UpdateService',
          EvalDecision: 'implicitDeny',
          MissingContextValues: ['iam:PassedToService'],
          ResourceSpecificResults: [
            {
              EvalResourceName: BLUE_SERVICE_ARN,
              EvalResourceDecision: 'implicitDeny',
              MissingContextValues: ['iam:PassedToService', 'aws:ResourceTag/team'],
            },
          ],
        },
      ],
    });

    // Act
    const result = await tool.dryRun(request());

    // Assess
    expect(result.ready).toBe(false);
    expect(check(result, 'coordinator-permissions')).toStrictEqual({
      name: 'coordinator-permissions',
      ok: false,
      evidence:
        `role ${ROLE_ARN}: 1 of 4 rollback actions not proven allowed: ecs:UpdateService: implicitDeny on ` +
        `${BLUE_SERVICE_ARN}, not proven: the simulation lacked the condition keys iam:PassedToService, ` +
        'aws:ResourceTag/team (give them in rollbackContext)',
    });
  });
});
