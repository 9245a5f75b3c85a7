import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  appendTimeline,
  escalationRunbook,
  rollbackSummary,
  SUBJECT_MAX_LENGTH,
  toSubject,
} from '../../lambdas/rollback-coordinator/timeline';
import { rollbackStateSchema } from '../../lambdas/shared/cutover-contracts';
import { baseState, escalationContext, restoredDatabase, SNAPSHOT_ID, SNAPSHOT_TAKEN } from './timeline-fixtures';

describe('appendTimeline', () => {
  it('adds an entry with its ISO time and leaves the input as it was', () => {
    // Prepare
    const state = baseState();
    const before = structuredClone(state);

    // Act
    const next = appendTimeline(
      state,
      { action: 'scale-green', result: 'skipped', detail: 'green already at 0' },
      new Date(Date.UTC(2026, 10, 24, 10, 45)),
    );

    // Assess
    expect(state).toEqual(before);
    expect(next.timeline).toHaveLength(3);
    expect(next.timeline.at(-1)).toEqual({
      at: '2026-11-24T10:45:00.000Z',
      action: 'scale-green',
      result: 'skipped',
      detail: 'green already at 0',
    });
    expect(v.safeParse(rollbackStateSchema, next).success).toBe(true);
  });
});

describe('toSubject', () => {
  it('keeps subjects SNS-safe: one ASCII line under 100 characters', () => {
    // Prepare
    const long = `DeploymentCrew: ${'release-ü-'.repeat(20)}\nsecond line`;

    // Act
    const subject = toSubject(long);

    // Assess
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7e]+$/);
    expect(subject.endsWith('...')).toBe(true);
  });
});

describe('rollbackSummary', () => {
  it('tells the trigger, phase, decision, why, every timeline entry and the writes a restore lost', () => {
    // Prepare
    const state = baseState({ database: restoredDatabase });

    // Act
    const { subject, message } = rollbackSummary(state, {
      deploymentName: 'release-1.4.0',
      releaseVersion: '1.4.0',
      snapshotCreatedAt: SNAPSHOT_TAKEN,
    });

    // Assess
    expect(subject).toBe('DeploymentCrew: release-1.4.0 (release 1.4.0) rolled back (full)');
    expect(message).toContain('Trigger: ERROR_RATE (green 5xx rate 7.5 % over 2 periods)');
    expect(message).toContain('Phase: CUTOVER');
    expect(message).toContain('Decision: full rollback; database: confirm');
    expect(message).toContain('Why: green error rate breached its threshold');
    expect(message).toContain('1. 2026-11-24T10:40:05.000Z  [ok]  restore-traffic: listener at live 100 / green 0');
    expect(message).toContain('2. 2026-11-24T10:41:00.000Z  [ok]  database-confirmation: approved by chairman');
    expect(message).toContain(`every write after ${SNAPSHOT_TAKEN}`);
    expect(message).toContain("'app-db-pre-rb-9d7c36ba'");
  });

  it('says no writes were lost when the database was not touched', () => {
    // Prepare
    const state = baseState({ decision: { type: 'traffic', database: 'none', why: 'traffic only.' } });

    // Act
    const { subject, message } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    expect(subject).toContain('rolled back (traffic)');
    expect(message).toContain('Database: not touched. No writes were lost.');
    expect(message).not.toContain('every write after');
  });

  it('flags a full rollback whose database restore did not run', () => {
    // Prepare
    const state = baseState();

    // Act
    const { subject, message } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    expect(subject).toContain('traffic rolled back, database not restored');
    expect(message).toContain('Database: NOT restored');
  });

  it('marks a failed step as incomplete and names the snapshot when its time is unknown', () => {
    // Prepare
    const state = baseState({
      database: { ...restoredDatabase, status: 'FAILED', reason: 'StorageQuotaExceededFault: quota\nreached' },
      timeline: [{ at: '2026-11-24T10:50:00.000Z', action: 'restore-database', result: 'failed', detail: 'quota' }],
    });

    // Act
    const { subject, message } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    expect(subject).toContain('rollback INCOMPLETE');
    expect(message).toContain('restore FAILED (StorageQuotaExceededFault: quota reached)');
    expect(message).toContain(`every write after the time snapshot '${SNAPSHOT_ID}' was taken`);
  });

  it('keeps the subject within 99 characters for long names', () => {
    // Prepare
    const state = baseState({ database: restoredDatabase });

    // Act
    const { subject } = rollbackSummary(state, {
      deploymentName: 'x'.repeat(80),
      releaseVersion: '2026.11.24-build.1234',
    });

    // Assess
    expect(subject.length).toBeLessThanOrEqual(SUBJECT_MAX_LENGTH);
    expect(subject).not.toContain('\n');
  });
});

describe('time until weight effective in the summary and the runbook', () => {
  const measured = {
    triggerAt: '2026-11-24T10:40:00.000Z',
    triggerSource: 'the alarm listener received shop-green-5xx in ALARM',
    confirmedAt: '2026-11-24T10:40:02.250Z',
    timeUntilWeightEffectiveSeconds: 2.25,
    unknownBecause: null,
  };
  const neverConfirmed = {
    ...measured,
    confirmedAt: null,
    timeUntilWeightEffectiveSeconds: null,
    unknownBecause: 'the listener has not been confirmed back at 100 % live',
  };

  it('tells the figure in the message and in the one-line cause', () => {
    // Prepare
    const state = baseState({ weightEffective: measured });

    // Act
    const { message, cause } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    const line =
      'Time until weight effective: 2.25 s from the trigger (2026-11-24T10:40:00.000Z: the alarm listener received ' +
      'shop-green-5xx in ALARM) to the listener confirmed 100 % live (2026-11-24T10:40:02.250Z)';
    expect(message).toContain(line);
    expect(cause).toMatch(/^DEPLOY-002: deployment release-1\.4\.0 \(release 1\.4\.0\) /);
    expect(cause).toContain('time until weight effective: 2.25 s from the trigger');
    expect(cause).not.toContain('\n');
  });

  it('says unknown, with the reason, when the record has no trigger time', () => {
    // Prepare
    const state = baseState();

    // Act
    const { message, cause } = rollbackSummary(state, { deploymentName: 'release-1.4.0', releaseVersion: '1.4.0' });

    // Assess
    expect(message).toContain('Time until weight effective: unknown: the rollback record carries no trigger time');
    expect(cause).toContain('time until weight effective: unknown');
  });

  it('tells the time elapsed so far when the listener was never confirmed', () => {
    // Prepare
    const state = baseState({ weightEffective: neverConfirmed });

    // Act
    const { message, cause } = escalationRunbook(state, escalationContext({ elapsedSinceTriggerSeconds: 240.5 }));

    // Assess
    const line =
      'Time until weight effective: none, the listener was never confirmed back at 100 % live (240.5 s since the ' +
      'trigger so far)';
    expect(message).toContain(line);
    expect(cause).toMatch(/^DEPLOY-003: the rollback of release-1\.4\.0 failed \(restore-database\)/);
    expect(cause).toContain('none, the listener was never confirmed back at 100 % live (240.5 s');
  });

  it('tells the figure in the runbook when the listener was confirmed before the escalation', () => {
    // Prepare
    const state = baseState({ weightEffective: measured });

    // Act
    const { message } = escalationRunbook(state, escalationContext({ elapsedSinceTriggerSeconds: 600 }));

    // Assess
    expect(message).toContain('Time until weight effective: 2.25 s from the trigger');
    expect(message).not.toContain('since the trigger so far');
  });
});
