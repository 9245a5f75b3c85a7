import type { Task } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_TOKEN_MAX_LENGTH,
  evaluateMigrationTask,
  migrationClientToken,
  migrationPlacement,
} from '../../../lambdas/tools/environment-provisioner/migration';
import { greenService, NEW_TD_ARN, TASK_ARN } from './fixtures';

describe('migration helpers', () => {
  it('derives a stable RunTask clientToken of at most 64 printable ASCII characters per deployment', () => {
    // Prepare
    const longName = `release-${'x'.repeat(200)}`;

    // Act
    const first = migrationClientToken('release-1.4.0', NEW_TD_ARN);
    const again = migrationClientToken('release-1.4.0', NEW_TD_ARN);
    const other = migrationClientToken('release-1.4.1', NEW_TD_ARN);
    const long = migrationClientToken(longName, NEW_TD_ARN);

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    for (const token of [first, other, long]) {
      expect(token.length).toBeLessThanOrEqual(CLIENT_TOKEN_MAX_LENGTH);
      expect(token).toMatch(/^deploymentcrew-migration-[0-9a-f]+$/);
    }
  });

  it('reports a stopped task whose migration container is missing as FAILED with the task stop reason', () => {
    // Prepare
    const task: Task = {
      taskArn: TASK_ARN,
      lastStatus: 'STOPPED',
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'ResourceInitializationError: unable to pull secrets',
      containers: [{ name: 'log-router', exitCode: 0 }],
    };

    // Act
    const outcome = evaluateMigrationTask(task, 'app');

    // Assess
    expect(outcome).toEqual({
      status: 'FAILED',
      exitCode: null,
      reason:
        "container 'app' is not in the task; task stopped: ResourceInitializationError: unable to pull secrets; stop code TaskFailedToStart",
      commandRan: false,
    });
  });

  it('places the migration on a launch type: FARGATE for Fargate providers, the service launch type otherwise', () => {
    // Prepare
    const services = [
      greenService({
        launchType: undefined,
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      }),
      greenService({ launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }),
      greenService({ launchType: 'EC2' }),
      greenService({ launchType: 'MANAGED_INSTANCES' }),
      greenService({ launchType: 'FARGATE', capacityProviderStrategy: [] }),
    ];

    // Act
    const placements = services.map(migrationPlacement);

    // Assess
    expect(placements).toEqual([
      { launchType: 'FARGATE' },
      { launchType: 'FARGATE' },
      { launchType: 'EC2' },
      { launchType: 'MANAGED_INSTANCES' },
      { launchType: 'FARGATE' },
    ]);
  });
});
