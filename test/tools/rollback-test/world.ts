import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  type Action,
  DescribeListenersCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import type { RollbackDryRunResult } from '../../../lambdas/shared/verification';
import { createRollbackDryRun } from '../../../lambdas/tools/rollback-test';
import { blueService, decision, LISTENER_ARN, promotedAction, snapshot, T0, targets } from './fixtures';

/** The mocked clients, a virtual clock and the tool on top of them; every test starts from a rollback that could run. */

export const elb = mockClient(ElasticLoadBalancingV2Client);
export const ecs = mockClient(ECSClient);
export const rds = mockClient(RDSClient);
export const iam = mockClient(IAMClient);

/** Virtual time in ms: each listener call takes as long as the test says. */
export const time = { now: T0 };

export const tool = createRollbackDryRun({
  elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
  ecs: new ECSClient({ region: 'eu-west-1' }),
  rds: new RDSClient({ region: 'eu-west-1' }),
  iam: new IAMClient({ region: 'us-east-1' }),
  clock: () => new Date(time.now),
});

/** A client error as AWS sends it when the role may not make the call. */
export function denied<T>(
  ServiceException: new (options: {
    name: string;
    $fault: 'client';
    message: string;
    $metadata: { httpStatusCode: number };
  }) => T,
  name = 'AccessDenied',
): T {
  return new ServiceException({
    name,
    $fault: 'client',
    message: 'not authorized',
    $metadata: { httpStatusCode: 403 },
  });
}

/** The listener as DescribeListeners returns it: the first read, then every later one, each taking `readMs`. */
export function listenerReads(first: Action[], later: Action[] = first, readMs = 80): void {
  let reads = 0;
  elb.on(DescribeListenersCommand).callsFake(() => {
    time.now += readMs;
    reads += 1;
    return { Listeners: [{ ListenerArn: LISTENER_ARN, DefaultActions: reads === 1 ? first : later }] };
  });
}

export const check = (result: RollbackDryRunResult, name: string) => result.checks.find((c) => c.name === name);

/** Registers the fresh world for every test of the file: healthy blue at 0 %, everything allowed. */
export function useRollbackWorld(): void {
  beforeEach(() => {
    time.now = T0;
    for (const mock of [elb, ecs, rds, iam]) mock.reset();
    elb
      .on(DescribeTargetHealthCommand)
      .resolves({ TargetHealthDescriptions: targets(['healthy', 'healthy', 'healthy', 'healthy']) });
    listenerReads([promotedAction()]);
    elb.on(ModifyListenerCommand).callsFake(() => {
      time.now += 120;
      return {};
    });
    ecs.on(DescribeServicesCommand).resolves({ services: [blueService()], failures: [] });
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [{ DBSnapshotIdentifier: snapshot.identifier, DBSnapshotArn: snapshot.arn, Status: 'available' }],
    });
    iam.on(SimulatePrincipalPolicyCommand).callsFake((input: { ActionNames: string[]; ResourceArns?: string[] }) => ({
      EvaluationResults: input.ActionNames.map((action) => decision(action, input.ResourceArns)),
      IsTruncated: false,
    }));
  });
}
