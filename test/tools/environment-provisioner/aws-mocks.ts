import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, expect } from 'vitest';
import { createEnvironmentProvisioner } from '../../../lambdas/tools/environment-provisioner';
import { CLUSTER, FAMILY, live, NOW } from './fixtures';

/** The mocked ECS and ELB clients and the tool under test on top of them. */

export const ecs = mockClient(ECSClient);
export const elb = mockClient(ElasticLoadBalancingV2Client);

export function provisioner() {
  return createEnvironmentProvisioner({
    ecs: new ECSClient({ region: 'eu-west-1' }),
    elb: new ElasticLoadBalancingV2Client({ region: 'eu-west-1' }),
    clusterName: CLUSTER,
    taskDefinitionFamily: FAMILY,
    clock: () => NOW,
  });
}

export function updatedServices(): (string | undefined)[] {
  return ecs.commandCalls(UpdateServiceCommand).map((call) => call.args[0].input.service);
}

/** Fresh mocks for every test, and after each one the check that the live service was never written to. */
export function guardLiveService(): void {
  beforeEach(() => {
    ecs.reset();
    elb.reset();
  });
  afterEach(() => {
    expect(updatedServices()).not.toContain(live.serviceName);
    ecs.reset();
    elb.reset();
  });
}
