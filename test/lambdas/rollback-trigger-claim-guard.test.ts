import { describe, expect, it } from 'vitest';
import { alarmToRequest, claimGuardOf, type RollbackRequestInput } from '../../lambdas/rollback-trigger/requests';

/** The guard of the listener's first write, as a pure function: what the lock must hold for the claim to land. */

const GREEN_TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/8a067e2d6bc24d73';
const NOW = new Date('2026-11-24T10:20:00.000Z');
const TRAFFIC = ['CUTOVER', 'PROMOTED', 'ROLLING_BACK'];
const FLAGS = ['VALIDATION', 'PROVISIONING', 'MIGRATION'];

function alarmAt(time: string): RollbackRequestInput {
  const request = alarmToRequest({
    source: 'aws.cloudwatch',
    'detail-type': 'CloudWatch Alarm State Change',
    time,
    detail: { alarmName: 'shop-green-5xx', state: { value: 'ALARM' } },
  });
  if (request === undefined) throw new Error('an ALARM state maps to a request');
  return request;
}

describe('claimGuardOf', () => {
  it("guards a fresh alarm on green's target group by its side, its weight and the lock's age", () => {
    // Act
    const guard = claimGuardOf(
      alarmAt('2026-11-24T10:19:58Z'),
      { targetGroupArn: GREEN_TG, trigger: 'ERROR_RATE' },
      NOW,
    );

    // Assess: the event's whole second ends at 10:19:59.000Z; a lock taken before then counts.
    expect(guard).toEqual({
      phases: [...TRAFFIC, ...FLAGS],
      watchedTargetGroupArn: GREEN_TG,
      acquiredBefore: '2026-11-24T10:19:59.000Z',
    });
  });

  it('reads an event time with an offset as the instant it names', () => {
    // Act
    const guard = claimGuardOf(alarmAt('2026-11-24T11:19:58+01:00'), undefined, NOW);

    // Assess
    expect(guard?.acquiredBefore).toBe('2026-11-24T10:19:59.000Z');
    expect(guard).not.toHaveProperty('watchedTargetGroupArn');
  });

  it.each([
    ['older than 5 minutes', '2026-11-24T10:14:59Z'],
    ['unreadable', 'yesterday'],
  ])('gives no guard for an alarm event whose time is %s: CloudWatch is asked first', (_, time) => {
    // Act
    const guard = claimGuardOf(alarmAt(time), undefined, NOW);

    // Assess
    expect(guard).toBeUndefined();
  });

  it('guards the Chairman by the deployment named, in every phase the override acts or flags in', () => {
    // Act
    const guard = claimGuardOf(
      { trigger: 'MANUAL', deployment: 'release-1-4-0', reason: 'errors', requestedBy: 'chairman' },
      undefined,
      NOW,
    );

    // Assess
    expect(guard).toEqual({ phases: [...TRAFFIC, ...FLAGS], holder: 'release-1-4-0' });
  });

  it('guards a probe report by its deployment and its green, only where traffic may be on green', () => {
    // Act
    const guard = claimGuardOf(
      {
        trigger: 'GREEN_PROBE_FAILED',
        deployment: 'release-1-4-0',
        probedTargetGroupArn: GREEN_TG,
        reason: 'green stopped answering',
        requestedBy: 'prober',
      },
      undefined,
      NOW,
    );

    // Assess
    expect(guard).toEqual({ phases: TRAFFIC, holder: 'release-1-4-0', greenTargetGroupArn: GREEN_TG });
  });
});
