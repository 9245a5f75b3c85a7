import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand, ModifyListenerCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import type { Sides } from '../../../lambdas/shared/cutover-contracts';
import { toWorkflowError } from '../../../lambdas/shared/errors';
import { createTrafficRouter } from '../../../lambdas/tools/traffic-router';
import type { OperationFault } from '../../../rehearsal/simulated-aws/call-log';
import { SIMULATED_BACKOFF_DIVISOR } from '../../../rehearsal/simulated-aws/sdk-stub';
import { SIM, SimulatedProduction } from '../../../rehearsal/simulated-production';
import { rejection } from '../../support/errors';

/**
 * The simulated services answer from inside the SDK's middleware stack (sdk-stub.ts): a fault the SDK retries is
 * retried by the SDK itself, one call-log entry per attempt, before the tool sees anything.
 */

function world(faults: readonly OperationFault[]) {
  const sim = new SimulatedProduction({ faults });
  const sleeps: number[] = [];
  const router = createTrafficRouter(sim.elbClient(), SIM.listenerArn, {
    clock: sim.clock.nowFn,
    sleep: async (ms) => {
      sleeps.push(ms);
      sim.clock.advance(ms / 1000);
    },
  });
  return { sim, router, sleeps };
}

function modifyTo(green: number): ModifyListenerCommand {
  return new ModifyListenerCommand({
    ListenerArn: SIM.listenerArn,
    DefaultActions: [
      {
        Type: 'forward',
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: SIM.blueTargetGroupArn, Weight: 100 - green },
            { TargetGroupArn: SIM.greenTargetGroupArn, Weight: green },
          ],
          TargetGroupStickinessConfig: { Enabled: false },
        },
      },
    ],
  });
}

async function sidesOf(router: ReturnType<typeof world>['router']): Promise<Sides> {
  return router.resolveSides([
    { targetGroupArn: SIM.blueTargetGroupArn, serviceName: SIM.blueServiceName },
    { targetGroupArn: SIM.greenTargetGroupArn, serviceName: SIM.greenServiceName },
  ]);
}

const modifyCalls = (calls: readonly string[]) => calls.filter((call) => call.startsWith('ELB:ModifyListener'));

describe('simulated clients run the SDK middleware stack', () => {
  it('a throttle of 2 on ModifyListener is absorbed by the SDK retries: 3 attempts, the caller sees success', async () => {
    // Prepare
    const { sim } = world([{ operation: 'ELB:ModifyListener', kind: 'throttle', times: 2 }]);

    // Act
    const output = await sim.elbClient().send(modifyTo(10));

    // Assess: attempts and totalRetryDelay are written by the SDK's retry middleware, not by the simulation
    expect(output.$metadata).toMatchObject({ httpStatusCode: 200, attempts: 3 });
    expect(output.$metadata.totalRetryDelay ?? -1).toBeGreaterThanOrEqual(0);
    // Throttling backoff is the SDK's 1 s base (retries 0 and 1: at most 1 s + 2 s), shortened by the divisor.
    expect(output.$metadata.totalRetryDelay ?? Infinity).toBeLessThanOrEqual(3_000 / SIMULATED_BACKOFF_DIVISOR);
    expect(output.Listeners?.[0]?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups?.[1]?.Weight).toBe(10);
    expect(sim.calls).toEqual([
      'ELB:ModifyListener blue=90 green=10 -> ThrottlingException',
      'ELB:ModifyListener blue=90 green=10 -> ThrottlingException',
      'ELB:ModifyListener blue=90 green=10',
    ]);
    expect(sim.greenWeights).toEqual([10]);
  });

  it('the traffic router sees a throttle of 2 as one successful write', async () => {
    // Prepare
    const { sim, router } = world([{ operation: 'ELB:ModifyListener', kind: 'throttle', times: 2 }]);
    const sides = await sidesOf(router);

    // Act
    await router.setGreenWeight(sides, 10);

    // Assess
    expect(sim.greenWeights).toEqual([10]);
    expect(modifyCalls(sim.calls)).toHaveLength(3);
  });

  it('a throttle past the SDK max attempts reaches the tool as ThrottlingException, a TransientAwsError', async () => {
    // Prepare
    const { sim, router } = world([{ operation: 'ELB:ModifyListener', kind: 'throttle', times: 4 }]);
    const sides = await sidesOf(router);

    // Act
    const error = await rejection(router.setGreenWeight(sides, 10));

    // Assess
    expect(error.name).toBe('ThrottlingException');
    expect(error).toMatchObject({ $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 3 } });
    expect(toWorkflowError(error).name).toBe('TransientAwsError');
    expect(modifyCalls(sim.calls)).toEqual(Array(3).fill('ELB:ModifyListener blue=90 green=10 -> ThrottlingException'));
    expect(sim.greenWeights).toEqual([]);
  });

  it('a non-retryable error is not retried by the SDK', async () => {
    // Prepare
    const { sim } = world([{ operation: 'ELB:ModifyListener', kind: 'fail', error: 'AccessDenied' }]);

    // Act
    const error = await rejection(sim.elbClient().send(modifyTo(10)));

    // Assess
    expect(error).toMatchObject({ name: 'AccessDenied', $metadata: { attempts: 1 } });
    expect(sim.calls).toEqual(['ELB:ModifyListener blue=90 green=10 -> AccessDenied']);
  });

  it('hang: each hung attempt fails with the TimeoutError the SDK retries, and the clock does not move', async () => {
    // Prepare
    const once = world([{ operation: 'ECS:DescribeServices', kind: 'hang' }]);
    const always = world([{ operation: 'ECS:DescribeServices', kind: 'hang', times: 3 }]);
    const describe = new DescribeServicesCommand({ cluster: SIM.clusterName, services: [SIM.greenServiceName] });
    const startedAt = always.sim.clock.now().toISOString();

    // Act
    const answered = await once.sim.ecsClient().send(describe);
    const error = await rejection(always.sim.ecsClient().send(describe));

    // Assess
    expect(answered.$metadata.attempts).toBe(2);
    expect(answered.services?.[0]?.serviceName).toBe(SIM.greenServiceName);
    expect(error).toMatchObject({ name: 'TimeoutError', code: 'ETIMEDOUT', $metadata: { attempts: 3 } });
    expect(error.message).toContain('10000 ms requestTimeout');
    expect(toWorkflowError(error).name).toBe('TransientAwsError');
    expect(always.sim.calls).toEqual(Array(3).fill(`ECS:DescribeServices ${SIM.greenServiceName} -> TimeoutError`));
    expect(always.sim.clock.now().toISOString()).toBe(startedAt);
  });

  it('staleRead: DescribeListeners shows the weights before the write for N reads; the router re-reads them', async () => {
    // Prepare
    const { sim, router, sleeps } = world([{ operation: 'ELB:DescribeListeners', kind: 'staleRead', times: 2 }]);
    const sides = await sidesOf(router);

    // Act
    await router.setGreenWeight(sides, 10);
    const stale = await sim.elbClient().send(new DescribeListenersCommand({ ListenerArns: [SIM.listenerArn] }));
    await router.confirmWeights(sides, 10);

    // Assess: the direct read took the first stale answer, the router's first read the second, its re-read is fresh
    expect(stale.Listeners?.[0]?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups?.[1]?.Weight).toBe(0);
    expect(sleeps).toEqual([250]);
    expect(sim.calls.slice(-3)).toEqual(['ELB:DescribeListeners', 'ELB:DescribeListeners', 'ELB:DescribeListeners']);
  });

  it('staleRead for longer than the confirming re-reads ends in TrafficShiftNotConfirmed', async () => {
    // Prepare
    const { router, sleeps } = world([{ operation: 'ELB:DescribeListeners', kind: 'staleRead', times: 5 }]);
    const sides = await sidesOf(router);
    await router.setGreenWeight(sides, 10);

    // Act
    const error = await rejection(router.confirmWeights(sides, 10));

    // Assess
    expect(error.name).toBe('TrafficShiftNotConfirmed');
    expect(error.message).toContain('after 5 reads');
    expect(sleeps).toEqual([250, 500, 1000, 2000]);
  });

  it('staleRead on an operation whose staleness is not modelled is refused', () => {
    // Act
    const build = () => new SimulatedProduction({ faults: [{ operation: 'ECS:DescribeServices', kind: 'staleRead' }] });

    // Assess
    expect(build).toThrow('staleRead is modelled only for ELB:DescribeListeners, not for ECS:DescribeServices');
  });
});
