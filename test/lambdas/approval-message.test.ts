import { describe, expect, it } from 'vitest';
import {
  type ApprovalMessageInput,
  approvalDeadline,
  buildApprovalMessage,
  buildApprovalSubject,
  formatDuration,
  MAX_SUBJECT_LENGTH,
  shellQuote,
  toSnsSubject,
} from '../../lambdas/approval-request/message';
import { deploymentRef, RELEASE, REQUEST_CONFIG, TARGETS } from './approval-support';

function startInput(overrides: Partial<ApprovalMessageInput> = {}): ApprovalMessageInput {
  return {
    kind: 'START',
    deployment: deploymentRef('shop-1-4-0-a1'),
    release: RELEASE,
    requestedBy: 'release-pipeline',
    requestedAt: '2026-11-24T10:00:00.000Z',
    timeoutSeconds: 3600,
    targets: TARGETS,
    answer: {
      region: REQUEST_CONFIG.region,
      approvalUrl: REQUEST_CONFIG.approvalUrl,
      functionName: REQUEST_CONFIG.approvalFunctionName,
    },
    ...overrides,
  };
}

function rollbackInput(overrides: Partial<ApprovalMessageInput> = {}): ApprovalMessageInput {
  return startInput({
    kind: 'DATABASE_ROLLBACK',
    context: {
      snapshotIdentifier: 'deploymentcrew-shop-1-4-0-a1',
      snapshotCreatedAt: '2026-11-24T10:05:00Z',
      reason: 'alarm shop-5xx-rate went to ALARM during the canary',
    },
    ...overrides,
  });
}

describe('START approval texts', () => {
  it('has a short one-line subject naming the version and the deployment', () => {
    // Prepare
    const input = startInput();

    // Act
    const subject = buildApprovalSubject(input);

    // Assess
    expect(subject).toBe('Approve deployment 1.4.0 (shop-1-4-0-a1)?');
  });

  it('says what is about to happen: release, targets, backup, deadline', () => {
    // Prepare
    const input = startInput();

    // Act
    const message = buildApprovalMessage(input);

    // Assess
    expect(message).toContain('deploy release 1.4.0 to production');
    expect(message).toContain(`Image:          ${RELEASE.image}`);
    expect(message).toContain('Schema change:  yes');
    expect(message).toContain('Notes:          Adds gift cards.');
    expect(message).toContain('Requested by:  release-pipeline');
    expect(message).toContain(`Listener:       ${TARGETS.listenerArn}`);
    for (const arn of TARGETS.targetGroupArns) expect(message).toContain(arn);
    expect(message).toContain('Database:       DB instance "shop-prod-db"');
    expect(message).toContain(
      'a snapshot of the DB instance "shop-prod-db" is taken and verified before anything changes',
    );
    expect(message).toContain('Answer by:     2026-11-24T11:00:00Z (1 hour after the request)');
  });

  it('says "Schema change: no" and leaves notes out when there are none', () => {
    // Prepare
    const input = startInput({ release: { version: '1.4.1', image: 'shop:1.4.1', schemaChange: false } });

    // Act
    const message = buildApprovalMessage(input);

    // Assess
    expect(message).toContain('Schema change:  no');
    expect(message).not.toContain('Notes:');
    expect(message).not.toContain('every write made after it is lost');
  });

  it('shows how to answer through the function URL, by deployment name, and that a direct invocation is refused', () => {
    // Prepare
    const input = startInput();

    // Act
    const message = buildApprovalMessage(input);

    // Assess
    expect(message).toContain(
      `curl --aws-sigv4 "aws:amz:eu-west-1:lambda" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" ` +
        `-H "x-amz-security-token: $AWS_SESSION_TOKEN" -H 'content-type: application/json' ` +
        `-d '{"deployment":"shop-1-4-0-a1","decision":"approve"}' ${REQUEST_CONFIG.approvalUrl}`,
    );
    expect(message).toContain(`-d '{"deployment":"shop-1-4-0-a1","decision":"reject","reason":"..."}'`);
    expect(message).toContain('invoking DeploymentCrew-ApprovalResponse directly is refused');
    expect(message).not.toContain('aws lambda invoke');
    expect(message).not.toContain('DATABASE_ROLLBACK');
  });
});

describe('DATABASE_ROLLBACK approval texts', () => {
  it('has a subject that warns about lost writes', () => {
    // Prepare
    const input = rollbackInput();

    // Act
    const subject = buildApprovalSubject(input);

    // Assess
    expect(subject).toBe('Confirm DATABASE RESTORE (writes will be lost) for 1.4.0 (shop-1-4-0-a1)?');
  });

  it('states plainly that every write since the snapshot is lost, and what each answer does', () => {
    // Prepare
    const input = rollbackInput();

    // Act
    const message = buildApprovalMessage(input);

    // Assess
    expect(message).toContain(
      'Restoring snapshot "deploymentcrew-shop-1-4-0-a1" (taken at 2026-11-24T10:05:00Z) LOSES EVERY WRITE made to the DB instance "shop-prod-db"',
    );
    expect(message).toContain('Why a restore is proposed: alarm shop-5xx-rate went to ALARM during the canary');
    expect(message).toContain('IF YOU APPROVE (confirm the restore)');
    expect(message).toContain('Every write made since 2026-11-24T10:05:00Z is lost.');
    expect(message).toContain('IF YOU REJECT (decline the restore)');
    expect(message).toContain('The database is not restored and keeps all of its data');
    expect(message).toContain('the request expires and the database is not restored');
  });

  it('asks for the kind in every answer command, so a plain "approve" cannot confirm a restore', () => {
    // Prepare
    const input = rollbackInput();

    // Act
    const message = buildApprovalMessage(input);

    // Assess
    expect(message).toContain(`-d '{"deployment":"shop-1-4-0-a1","decision":"approve","kind":"DATABASE_ROLLBACK"}'`);
    expect(message).toContain(
      `-d '{"deployment":"shop-1-4-0-a1","decision":"reject","reason":"...","kind":"DATABASE_ROLLBACK"}'`,
    );
  });
});

describe('text helpers', () => {
  it('makes any text a valid SNS subject', () => {
    // Prepare
    const text = `Approve deployment ${'v'.repeat(64)} (naïve\nname-${'n'.repeat(80)})?`;

    // Act
    const subject = toSnsSubject(text);

    // Assess
    expect(subject.length).toBeLessThanOrEqual(MAX_SUBJECT_LENGTH);
    expect(subject).toMatch(/^[\x20-\x7E]+$/);
    expect(subject.endsWith('...')).toBe(true);
  });

  it('quotes shell arguments safely, including single quotes', () => {
    // Prepare
    const values = ['plain-name_1', `{"deployment":"it's"}`];

    // Act
    const quoted = values.map(shellQuote);

    // Assess
    expect(quoted).toEqual(['plain-name_1', `'{"deployment":"it'\\''s"}'`]);
  });

  it('computes the deadline and says durations in words', () => {
    // Prepare
    const requestedAt = '2026-11-24T23:30:00.000Z';

    // Act
    const deadline = approvalDeadline(requestedAt, 2 * 86_400 + 3600);

    // Assess
    expect(deadline).toBe('2026-11-27T00:30:00Z');
    expect(formatDuration(2 * 86_400 + 3600)).toBe('2 days 1 hour');
    expect(formatDuration(300)).toBe('5 minutes');
    expect(() => approvalDeadline('not a time', 60)).toThrow(RangeError);
  });
});
