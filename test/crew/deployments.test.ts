import { DescribeExecutionCommand, SFNServiceException } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { crewWorld, DEPLOYMENT } from './support';

/** A deployment name AWS refuses as an execution name is an unknown deployment; a conflicting answer says retry. */

describe('crew and deployment names', () => {
  it('a name that cannot be an execution name is an unknown deployment (exit 6), not an AWS error', async () => {
    // Prepare
    const world = crewWorld();
    world.sfn.on(DescribeExecutionCommand).rejects(
      new SFNServiceException({
        name: 'InvalidArn',
        $fault: 'client',
        message: 'Invalid Arn: execution name contains invalid characters',
        $metadata: {},
      }),
    );

    // Act
    const run = await world.run(['status', 'no such/name']);

    // Assess
    expect(run.code).toBe(6);
    expect(run.stderr).toContain("no deployment named 'no such/name'");
  });

  it('an approval answered at the same moment by someone else (ApprovalConflict) is refused with a retry hint', async () => {
    // Prepare
    const world = crewWorld();
    world.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    world.answerUrl = () => ({
      status: 409,
      body: { error: 'ApprovalConflict', message: 'another answer is being recorded' },
    });

    // Act
    const run = await world.run(['approve', DEPLOYMENT]);

    // Assess
    expect(run.code).toBe(11);
    expect(run.stderr).toMatch(/ApprovalConflict: another answer is being recorded\n {2}.*again/);
  });
});

describe('crew limits and throttling', () => {
  it('refuses a history limit above 1000 before any AWS call (each entry costs calls)', async () => {
    // Prepare
    const world = crewWorld();

    // Act
    const run = await world.run(['history', '--limit', '5000']);

    // Assess
    expect(run.code).toBe(2);
    expect(world.cloudFormation.calls()).toHaveLength(0);
  });

  it('a function URL throttled (429) is an AWS error to retry, not a refusal', async () => {
    // Prepare
    const world = crewWorld();
    world.sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    world.answerUrl = () => ({ status: 429, body: { Message: 'Rate Exceeded.' } });

    // Act
    const run = await world.run(['approve', DEPLOYMENT]);

    // Assess
    expect(run.code).toBe(13);
    expect(run.stderr).toMatch(/again/);
  });
});
