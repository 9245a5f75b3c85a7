import { describe, expect, it } from 'vitest';
import { isTransientAwsError } from '../../lambdas/shared/errors';
import { CallLog } from '../../rehearsal/simulated-aws/call-log';

/** The per-operation fault hook scenarios use (`faults.operations`): every simulated call goes through CallLog.run. */

async function outcomes(log: CallLog, entry: string, calls: number): Promise<string[]> {
  const seen: string[] = [];
  for (let call = 0; call < calls; call += 1) {
    seen.push(
      await log.run(entry, () => 'ok').catch((error: Error) => `${error.name}${isTransientAwsError(error) ? '*' : ''}`),
    );
  }
  return seen;
}

describe('CallLog operation faults', () => {
  it('throttle: the first N calls of that operation only, as a retryable ThrottlingException', async () => {
    // Prepare
    const log = new CallLog([{ operation: 'ELB:ModifyListener', kind: 'throttle', times: 2 }]);

    // Act
    const modify = await outcomes(log, 'ELB:ModifyListener blue=90 green=10', 3);
    const describeListeners = await outcomes(log, 'ELB:DescribeListeners', 1);

    // Assess: * marks an error the tools treat as transient
    expect(modify).toEqual(['ThrottlingException*', 'ThrottlingException*', 'ok']);
    expect(describeListeners).toEqual(['ok']);
    expect(log.calls[0]).toBe('ELB:ModifyListener blue=90 green=10 -> ThrottlingException');
  });

  it('fail: every call, or the first `times`, with the named non-retryable error', async () => {
    // Prepare
    const always = new CallLog([{ operation: 'RDS:CreateDBSnapshot', kind: 'fail', error: 'AccessDenied' }]);
    const once = new CallLog([{ operation: 'RDS:CreateDBSnapshot', kind: 'fail', times: 1 }]);

    // Act
    const alwaysSeen = await outcomes(always, 'RDS:CreateDBSnapshot snap-1', 3);
    const onceSeen = await outcomes(once, 'RDS:CreateDBSnapshot snap-1', 2);

    // Assess
    expect(alwaysSeen).toEqual(['AccessDenied', 'AccessDenied', 'AccessDenied']);
    expect(onceSeen).toEqual(['ValidationError', 'ok']);
  });

  it('failFrom: from the K-th call on, and the handler never runs for a failed call', async () => {
    // Prepare
    const log = new CallLog([{ operation: 'ECS:UpdateService', kind: 'failFrom', fromCall: 2 }]);
    let handled = 0;

    // Act
    const seen: string[] = [];
    for (let call = 0; call < 3; call += 1) {
      seen.push(
        await log
          .run('ECS:UpdateService shop-green', () => {
            handled += 1;
            return 'ok';
          })
          .catch((error: Error) => error.name),
      );
    }

    // Assess
    expect(seen).toEqual(['ok', 'ValidationError', 'ValidationError']);
    expect(handled).toBe(1);
  });

  it('hang: the first N calls fail with the TimeoutError of the SDK request timeout, a transient error', async () => {
    // Prepare
    const log = new CallLog([{ operation: 'ECS:DescribeServices', kind: 'hang', times: 2 }]);

    // Act
    const seen = await outcomes(log, 'ECS:DescribeServices shop-green', 3);

    // Assess
    expect(seen).toEqual(['TimeoutError*', 'TimeoutError*', 'ok']);
    expect(log.calls[0]).toBe('ECS:DescribeServices shop-green -> TimeoutError');
  });

  it('staleRead: no error, the simulation reads how many reads lag behind each write', async () => {
    // Prepare
    const log = new CallLog([{ operation: 'ELB:DescribeListeners', kind: 'staleRead', times: 3 }]);

    // Act
    const seen = await outcomes(log, 'ELB:DescribeListeners', 2);

    // Assess
    expect(seen).toEqual(['ok', 'ok']);
    expect(log.staleReadsAfterWrite('ELB:DescribeListeners')).toBe(3);
    expect(log.staleReadsAfterWrite('ELB:DescribeRules')).toBe(0);
    expect(() => new CallLog([{ operation: 'RDS:DescribeDBSnapshots', kind: 'staleRead' }])).toThrow(
      'staleRead is modelled only for ELB:DescribeListeners',
    );
  });
});
