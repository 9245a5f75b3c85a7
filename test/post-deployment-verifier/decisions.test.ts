import { describe, expect, it } from 'vitest';
import {
  monitoringDecision,
  type RecordedRollback,
  rollbackRaceDecision,
  summarizeMonitoring,
  summarizeSmoke,
} from '../../lambdas/post-deployment-verifier/decisions';
import { monitoringResult, REWRITE, smokeReport } from './fixtures';

const rollback = (requestedAt: string): RecordedRollback => ({
  trigger: 'GREEN_PROBE_FAILED',
  requestedAt,
  requestedBy: 'prober',
});

describe('monitoringDecision', () => {
  it.each([
    [true, 'fail', 'ok'],
    [true, 'record-risk', 'ok'],
    [false, 'fail', 'fail'],
    [false, 'record-risk', 'risk'],
  ] as const)('ok %s with onMissing %s is %s', (ok, onMissing, expected) => {
    // Act
    const decision = monitoringDecision(ok, onMissing);

    // Assess
    expect(decision).toBe(expected);
  });
});

describe('rollbackRaceDecision', () => {
  it('has nothing to re-assert when the dry run wrote nothing', () => {
    // Act
    const decision = rollbackRaceDecision(null, rollback('2026-11-24T10:10:00.100Z'), undefined);

    // Assess
    expect(decision.reassert).toBe(false);
  });

  it('has nothing to re-assert without a rollback request', () => {
    // Act
    const decision = rollbackRaceDecision(REWRITE, undefined, undefined);

    // Assess
    expect(decision).toEqual({ reassert: false, reason: 'no rollback request is recorded on the lock' });
  });

  it.each([
    ['at the read', '2026-11-24T10:10:00.000Z', 'between'],
    ['between the read and the re-write', '2026-11-24T10:10:00.150Z', 'between'],
    ['at the re-write', '2026-11-24T10:10:00.300Z', 'between'],
    ['after the re-write', '2026-11-24T10:10:05.000Z', 'after'],
  ])('re-asserts a rollback requested %s', (_, requestedAt, when) => {
    // Act
    const decision = rollbackRaceDecision(REWRITE, rollback(requestedAt), undefined);

    // Assess
    expect(decision.reassert).toBe(true);
    expect(decision.reason).toContain(`${when} the dry run's listener read (${REWRITE.readAt}`);
    expect(decision.reason).toContain(`rollback (GREEN_PROBE_FAILED) requested by prober at ${requestedAt}`);
  });

  it('re-asserts a rollback requested before the read whose restore was not confirmed before it', () => {
    // Act
    const unconfirmed = rollbackRaceDecision(REWRITE, rollback('2026-11-24T10:09:59.900Z'), undefined);
    const confirmedLater = rollbackRaceDecision(
      REWRITE,
      rollback('2026-11-24T10:09:59.900Z'),
      '2026-11-24T10:10:00.200Z',
    );

    // Assess
    expect(unconfirmed.reassert).toBe(true);
    expect(confirmedLater.reassert).toBe(true);
  });

  it('leaves a rollback restored before the read alone: the dry run re-applied the restored weights', () => {
    // Act
    const decision = rollbackRaceDecision(REWRITE, rollback('2026-11-24T10:09:00.000Z'), '2026-11-24T10:09:01.000Z');

    // Assess
    expect(decision.reassert).toBe(false);
    expect(decision.reason).toContain('restored at 2026-11-24T10:09:01.000Z, before the dry run read the listener');
  });

  it('compares instants, not strings (offsets and precision differ between writers)', () => {
    // Act: 10:10:00.150Z written with an offset, which a string comparison would put before the read
    const decision = rollbackRaceDecision(REWRITE, rollback('2026-11-24T11:10:00.150+01:00'), undefined);

    // Assess
    expect(decision.reassert).toBe(true);
  });
});

describe('summaries', () => {
  it('names every failed smoke step with its failures', () => {
    // Act
    const passing = summarizeSmoke(smokeReport('https://shop.example.com'));
    const failing = summarizeSmoke(smokeReport('https://shop.example.com', ['login', 'list orders']));

    // Assess
    expect(passing).toBe('2 of 2 smoke steps passed against https://shop.example.com');
    expect(failing).toBe(
      '0 of 2 smoke steps passed against https://shop.example.com; failed: login (status 500, expected 200), ' +
        'list orders (status 500, expected 200)',
    );
  });

  it('says what the monitoring decision means and which checks failed', () => {
    // Act
    const ok = summarizeMonitoring(monitoringResult(), 'ok');
    const risk = summarizeMonitoring(monitoringResult('shop-db-connections'), 'risk');

    // Assess
    expect(ok).toBe('monitoring in place: 3 of 3 checks ok');
    expect(risk).toBe('monitoring missing, recorded as a risk: 2 of 3 checks ok; alarm shop-db-connections: not found');
  });
});
