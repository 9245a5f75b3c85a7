import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  measureWeightEffective,
  secondsSinceTrigger,
  triggerInstant,
  withConfirmation,
  withDecision,
} from '../../lambdas/rollback-coordinator/weight-effective';
import { weightEffectiveSchema } from '../../lambdas/shared/cutover-contracts';
import type { RollbackRequest } from '../../lambdas/tools/deployment-lock';

const ALARM_REQUEST: RollbackRequest = {
  trigger: 'ALARM',
  reason: 'alarm shop-green-5xx entered ALARM',
  requestedAt: '2026-11-24T10:36:00.000Z',
  requestedBy: 'cloudwatch',
  alarmName: 'shop-green-5xx',
};

const PIPELINE_REQUEST: RollbackRequest = {
  trigger: 'ERROR_RATE',
  reason: 'canary verdict at 10 % green',
  requestedAt: '2026-11-24T10:36:07.000Z',
  requestedBy: 'pipeline',
};

describe('triggerInstant', () => {
  it("takes the alarm listener's request time and names the alarm", () => {
    // Act
    const instant = triggerInstant(ALARM_REQUEST, '2026-11-24T10:36:05.000Z');

    // Assess
    expect(instant).toEqual({
      at: '2026-11-24T10:36:00.000Z',
      source: 'the alarm listener received shop-green-5xx in ALARM',
    });
  });

  it("takes the alarm's own state change when the listener recorded it", () => {
    // Act
    const instant = triggerInstant({ ...ALARM_REQUEST, detectedAt: '2026-11-24T10:35:57.500Z' });

    // Assess
    expect(instant).toEqual({ at: '2026-11-24T10:35:57.500Z', source: 'shop-green-5xx entered ALARM' });
  });

  it("takes the Chairman's override request time", () => {
    // Act
    const instant = triggerInstant({
      trigger: 'MANUAL',
      reason: 'checkout errors',
      requestedAt: '2026-11-24T10:35:00.000Z',
      requestedBy: 'arn:aws:iam::123456789012:user/chairman',
    });

    // Assess
    expect(instant.at).toBe('2026-11-24T10:35:00.000Z');
    expect(instant.source).toContain("Chairman's override");
  });

  it("prefers the state machine's trigger time over a request the coordinator wrote itself", () => {
    // Act
    const instant = triggerInstant(PIPELINE_REQUEST, '2026-11-24T10:36:04.500Z');

    // Assess
    expect(instant).toEqual({ at: '2026-11-24T10:36:04.500Z', source: 'the state machine recorded the trigger' });
  });

  it('is unknown, with the reason, when only the coordinator recorded the rollback', () => {
    // Act
    const instant = triggerInstant(PIPELINE_REQUEST, undefined);

    // Assess
    expect(instant.at).toBeNull();
    expect(instant.unknownBecause).toContain('no trigger.detectedAt');
  });

  it('refuses a trigger time that is not a time instead of guessing one', () => {
    // Act
    const instant = triggerInstant(undefined, 'shortly before');

    // Assess
    expect(instant.at).toBeNull();
    expect(instant.unknownBecause).toBe("the trigger's time 'shortly before' is not a time");
  });
});

describe('measureWeightEffective', () => {
  it('is the seconds from the trigger to the confirmation, to the millisecond', () => {
    // Prepare
    const trigger = triggerInstant(ALARM_REQUEST);

    // Act
    const record = measureWeightEffective(trigger, '2026-11-24T10:36:02.345Z');

    // Assess
    expect(record).toEqual({
      triggerAt: '2026-11-24T10:36:00.000Z',
      triggerSource: 'the alarm listener received shop-green-5xx in ALARM',
      confirmedAt: '2026-11-24T10:36:02.345Z',
      timeUntilWeightEffectiveSeconds: 2.345,
      unknownBecause: null,
    });
    expect(v.safeParse(weightEffectiveSchema, record).success).toBe(true);
  });

  it('parses offsets, not strings: the same instant in another zone is the same figure', () => {
    // Act
    const record = measureWeightEffective(
      { at: '2026-11-24T11:36:00+01:00', source: 'test' },
      '2026-11-24T10:37:30.000Z',
    );

    // Assess
    expect(record.timeUntilWeightEffectiveSeconds).toBe(90);
  });

  it.each([
    {
      name: 'the trigger time is unknown',
      trigger: { at: null, source: 'the state machine recorded the trigger', unknownBecause: 'no time recorded' },
      confirmedAt: '2026-11-24T10:36:02.000Z',
      reason: 'no time recorded',
    },
    {
      name: 'the listener is not confirmed yet',
      trigger: { at: '2026-11-24T10:36:00.000Z', source: 'test' },
      confirmedAt: null,
      reason: 'the listener has not been confirmed back at 100 % live',
    },
    {
      name: 'the confirmation precedes the trigger',
      trigger: { at: '2026-11-24T10:36:00.000Z', source: 'test' },
      confirmedAt: '2026-11-24T10:35:59.000Z',
      reason:
        "the listener was confirmed (2026-11-24T10:35:59.000Z) before the trigger's time (2026-11-24T10:36:00.000Z)",
    },
    {
      name: 'the confirmation is not a time',
      trigger: { at: '2026-11-24T10:36:00.000Z', source: 'test' },
      confirmedAt: 'later',
      reason: "the confirmation time 'later' is not a time",
    },
  ])('is null with the reason when $name', ({ trigger, confirmedAt, reason }) => {
    // Act
    const record = measureWeightEffective(trigger, confirmedAt);

    // Assess
    expect(record.timeUntilWeightEffectiveSeconds).toBeNull();
    expect(record.unknownBecause).toBe(reason);
  });
});

describe('withConfirmation and withDecision', () => {
  const pending = measureWeightEffective(triggerInstant(ALARM_REQUEST), null);

  it('keeps the earliest confirmation: the weight was effective from then on', () => {
    // Prepare
    const first = withConfirmation(pending, '2026-11-24T10:36:02.000Z');

    // Act
    const later = withConfirmation(first, '2026-11-24T10:40:02.000Z');
    const earlier = withConfirmation(first, '2026-11-24T10:36:01.000Z');

    // Assess
    expect(first.timeUntilWeightEffectiveSeconds).toBe(2);
    expect(later).toBe(first);
    expect(earlier).toMatchObject({ confirmedAt: '2026-11-24T10:36:01.000Z', timeUntilWeightEffectiveSeconds: 1 });
  });

  it('keeps the reason of an unknown trigger after a confirmation', () => {
    // Prepare
    const unknown = measureWeightEffective(triggerInstant(PIPELINE_REQUEST), null);

    // Act
    const record = withConfirmation(unknown, '2026-11-24T10:36:02.000Z');

    // Assess
    expect(record).toMatchObject({ confirmedAt: '2026-11-24T10:36:02.000Z', timeUntilWeightEffectiveSeconds: null });
    expect(record.unknownBecause).toContain('no trigger.detectedAt');
  });

  it.each(['none', 'database'] as const)('says a %s rollback has no figure to wait for', (type) => {
    // Act
    const record = withDecision(pending, type);

    // Assess
    expect(record.timeUntilWeightEffectiveSeconds).toBeNull();
    expect(record.unknownBecause).toMatch(/^not applicable: no traffic rollback was needed/);
  });

  it('leaves traffic rollbacks pending', () => {
    // Act + Assess
    expect(withDecision(pending, 'full')).toBe(pending);
  });
});

describe('secondsSinceTrigger', () => {
  it('is the time elapsed so far, or null without a trigger time', () => {
    // Prepare
    const pending = measureWeightEffective(triggerInstant(ALARM_REQUEST), null);
    const unknown = measureWeightEffective(triggerInstant(undefined), null);

    // Act + Assess
    expect(secondsSinceTrigger(pending, new Date('2026-11-24T10:40:00.500Z'))).toBe(240.5);
    expect(secondsSinceTrigger(pending, new Date('2026-11-24T10:35:00.000Z'))).toBeNull();
    expect(secondsSinceTrigger(unknown, new Date('2026-11-24T10:40:00.000Z'))).toBeNull();
  });
});
