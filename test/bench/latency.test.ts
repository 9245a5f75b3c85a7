import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { type AwsCall, CallRecorder, injectLatency, roundsBefore } from '../../bench/latency';
import { CallLog } from '../../rehearsal/simulated-aws/call-log';
import { simulateClient, simulatedClientConfig } from '../../rehearsal/simulated-aws/sdk-stub';

/**
 * The reaction benchmark's simulated AWS latency: every call through a real SDK client takes at least the latency
 * (the local service's own time inside it), on a virtual clock here so that nothing depends on the machine's speed;
 * each call is recorded with its start and end, and calls sent together count as one round trip.
 */

/** A virtual clock: `sleep` moves it, and so does the simulated service when it "works". */
function virtualClock() {
  const clock = { ms: 1_000, slept: [] as number[] };
  return {
    clock,
    now: () => clock.ms,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.ms += ms;
    },
  };
}

/** A real SFNClient answered by the rehearsal's in-client simulation; the service takes `serviceMs` of the clock. */
function stepFunctions(clock: { ms: number }, serviceMs: number, fail = false) {
  const client = new SFNClient(simulatedClientConfig());
  simulateClient(client, 'SFN', new CallLog())
    .on(SendTaskFailureCommand)
    .callsFake(() => {
      clock.ms += serviceMs;
      if (fail) throw Object.assign(new Error('token closed'), { name: 'TaskTimedOut', $fault: 'client' });
      return {};
    })
    .on(SendTaskSuccessCommand)
    .callsFake(() => ({}));
  return client;
}

const failure = new SendTaskFailureCommand({ taskToken: 'token', error: 'AlarmTriggered' });

describe('injected AWS latency', () => {
  it('makes a call last the latency when the service answers at once, and records it by operation', async () => {
    // Prepare
    const { clock, now, sleep } = virtualClock();
    const recorder = new CallRecorder({ latencyMs: 100, now, sleep });
    const sfn = stepFunctions(clock, 0);
    injectLatency(sfn, 'SFN', recorder);

    // Act
    await sfn.send(failure);

    // Assess
    expect(recorder.calls).toEqual([
      { service: 'SFN', operation: 'SendTaskFailure', startMs: 1_000, endMs: 1_100, failed: false },
    ]);
  });

  it("counts the service's own time inside the latency: a 30 ms answer is padded by 70 ms, a slow one not at all", async () => {
    // Prepare
    const fast = virtualClock();
    const slow = virtualClock();
    const fastRecorder = new CallRecorder({ latencyMs: 100, now: fast.now, sleep: fast.sleep });
    const slowRecorder = new CallRecorder({ latencyMs: 100, now: slow.now, sleep: slow.sleep });
    const fastSfn = stepFunctions(fast.clock, 30);
    const slowSfn = stepFunctions(slow.clock, 250);
    injectLatency(fastSfn, 'SFN', fastRecorder);
    injectLatency(slowSfn, 'SFN', slowRecorder);

    // Act
    await fastSfn.send(failure);
    await slowSfn.send(failure);

    // Assess
    expect(fast.clock.slept).toEqual([70]);
    expect(fastRecorder.calls[0]?.endMs).toBe(1_100);
    expect(slow.clock.slept).toEqual([]);
    expect(slowRecorder.calls[0]?.endMs).toBe(1_250);
  });

  it('pads and records a failed call too, and rethrows its error', async () => {
    // Prepare
    const { clock, now, sleep } = virtualClock();
    const recorder = new CallRecorder({ latencyMs: 100, now, sleep });
    const sfn = stepFunctions(clock, 10, true);
    injectLatency(sfn, 'SFN', recorder);

    // Act
    const sent = sfn.send(failure);

    // Assess
    await expect(sent).rejects.toMatchObject({ name: 'TaskTimedOut' });
    expect(recorder.calls).toMatchObject([
      { operation: 'SendTaskFailure', startMs: 1_000, endMs: 1_100, failed: true },
    ]);
  });

  it('counts every call, each once, in the order they ended', async () => {
    // Prepare
    const { clock, now, sleep } = virtualClock();
    const recorder = new CallRecorder({ latencyMs: 100, now, sleep });
    const sfn = stepFunctions(clock, 0);
    injectLatency(sfn, 'SFN', recorder);

    // Act
    await sfn.send(failure);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: 'token', output: '{}' }));
    await sfn.send(failure);

    // Assess
    expect(recorder.calls.map((call) => call.operation)).toEqual([
      'SendTaskFailure',
      'SendTaskSuccess',
      'SendTaskFailure',
    ]);
    expect(recorder.calls.map((call) => call.startMs)).toEqual([1_000, 1_100, 1_200]);
  });

  it('neither pads nor records while disabled (the setup of a run)', async () => {
    // Prepare
    const { clock, now, sleep } = virtualClock();
    const recorder = new CallRecorder({ latencyMs: 100, now, sleep });
    const sfn = stepFunctions(clock, 0);
    injectLatency(sfn, 'SFN', recorder);
    recorder.enabled = false;

    // Act
    await sfn.send(failure);

    // Assess
    expect(recorder.calls).toEqual([]);
    expect(clock.slept).toEqual([]);
  });
});

describe('rounds before an operation', () => {
  const call = (operation: string, startMs: number, endMs: number): AwsCall => ({
    service: 'X',
    operation,
    startMs,
    endMs,
    failed: false,
  });

  it('counts calls made one after another as one round each, and calls in parallel as one round', () => {
    // Prepare
    const calls = [
      call('GetItem', 0, 100),
      call('UpdateItem', 101, 200),
      call('DescribeAlarms', 101, 210),
      call('ModifyListener', 211, 311),
      call('DescribeListeners', 311, 411),
    ];

    // Act
    const rounds = roundsBefore(calls, 'ModifyListener');

    // Assess
    expect(rounds?.map((round) => round.map((one) => one.operation))).toEqual([
      ['GetItem'],
      ['UpdateItem', 'DescribeAlarms'],
    ]);
  });

  it('leaves out calls after the operation started, and answers null when it was never called', () => {
    // Prepare
    const calls = [call('ModifyListener', 0, 100), call('DescribeListeners', 100, 200)];

    // Act
    const rounds = roundsBefore(calls, 'ModifyListener');
    const never = roundsBefore(calls, 'SendTaskFailure');

    // Assess
    expect(rounds).toEqual([]);
    expect(never).toBeNull();
  });
});
