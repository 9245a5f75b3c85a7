import { describe, expect, it } from 'vitest';
import { evaluateGreenReadiness, evaluateRollout } from '../../../lambdas/tools/environment-provisioner/readiness';
import { deployment, greenService, NEW_TD_ARN, OLD_GREEN_TD_ARN, target } from './fixtures';

describe('readiness evaluation', () => {
  const healthyTargets = [
    target('10.0.1.10', 'healthy'),
    target('10.0.1.11', 'healthy'),
    target('10.0.2.12', 'healthy'),
  ];

  it('is FAILED with the rollout reason when ECS reports the rollout FAILED', () => {
    // Prepare
    const service = greenService({
      deployments: [
        deployment({
          rolloutState: 'FAILED',
          rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
        }),
      ],
    });

    // Act
    const readiness = evaluateGreenReadiness(evaluateRollout(service, NEW_TD_ARN), [], 3);

    // Assess
    expect(readiness).toEqual({
      status: 'FAILED',
      reason: 'rollout failed: ECS deployment circuit breaker: tasks failed to start.',
      healthyTargets: 0,
    });
  });

  it('is FAILED when the circuit breaker rolled green back to another revision', () => {
    // Prepare
    const service = greenService({
      deployments: [
        deployment({ taskDefinition: OLD_GREEN_TD_ARN, rolloutState: 'IN_PROGRESS' }),
        deployment({ status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'tasks failed to start' }),
      ],
    });

    // Act
    const rollout = evaluateRollout(service, NEW_TD_ARN);

    // Assess
    expect(rollout.state).toBe('FAILED');
    expect(rollout.reason).toBe(
      `rollout of ${NEW_TD_ARN} failed and ECS rolled back to ${OLD_GREEN_TD_ARN}: tasks failed to start`,
    );
  });

  it('is FAILED when the PRIMARY deployment runs a task definition that is not ours', () => {
    // Prepare
    const service = greenService({ deployments: [deployment({ taskDefinition: OLD_GREEN_TD_ARN })] });

    // Act
    const rollout = evaluateRollout(service, NEW_TD_ARN);

    // Assess
    expect(rollout.state).toBe('FAILED');
    expect(rollout.reason).toContain('the service was changed by something else');
  });

  it('is PENDING with task and target counts while the rollout is in progress', () => {
    // Prepare
    const service = greenService({
      deployments: [
        deployment({ rolloutState: 'IN_PROGRESS', runningCount: 2 }),
        deployment({ status: 'ACTIVE', taskDefinition: OLD_GREEN_TD_ARN, desiredCount: 0, runningCount: 0 }),
      ],
    });
    const targets = [target('10.0.1.10', 'healthy'), target('10.0.1.11', 'initial', 'Elb.RegistrationInProgress')];

    // Act
    const readiness = evaluateGreenReadiness(evaluateRollout(service, NEW_TD_ARN), targets, 3);

    // Assess
    expect(readiness).toEqual({
      status: 'PENDING',
      reason:
        '2/3 tasks running (rollout in progress), 1/3 targets healthy, not healthy: 1 initial (Elb.RegistrationInProgress)',
      healthyTargets: 1,
    });
  });

  it('is PENDING when the rollout completed but a target is unhealthy', () => {
    // Prepare
    const rollout = evaluateRollout(greenService({ deployments: [deployment()] }), NEW_TD_ARN);
    const targets = [...healthyTargets.slice(0, 2), target('10.0.2.12', 'unhealthy', 'Target.FailedHealthChecks')];

    // Act
    const readiness = evaluateGreenReadiness(rollout, targets, 3);

    // Assess
    expect(readiness.status).toBe('PENDING');
    expect(readiness.healthyTargets).toBe(2);
    expect(readiness.reason).toBe(
      '3/3 tasks running (rollout completed), 2/3 targets healthy, not healthy: 1 unhealthy (Target.FailedHealthChecks)',
    );
  });

  it('is PENDING when fewer targets are healthy than desired, even if none is unhealthy', () => {
    // Prepare
    const rollout = evaluateRollout(greenService({ deployments: [deployment()] }), NEW_TD_ARN);

    // Act
    const readiness = evaluateGreenReadiness(rollout, healthyTargets.slice(0, 2), 3);

    // Assess
    expect(readiness.status).toBe('PENDING');
    expect(readiness.reason).toContain('2/3 targets healthy');
  });

  it('is PENDING when targets are unused (the target group is not in a listener rule)', () => {
    // Prepare
    const rollout = evaluateRollout(greenService({ deployments: [deployment()] }), NEW_TD_ARN);
    const targets = healthyTargets.map((entry) => target(entry.Target?.Id ?? '', 'unused', 'Target.NotInUse'));

    // Act
    const readiness = evaluateGreenReadiness(rollout, targets, 3);

    // Assess
    expect(readiness.status).toBe('PENDING');
    expect(readiness.reason).toContain('not healthy: 3 unused (Target.NotInUse)');
  });

  it('is READY when the rollout completed and all desired targets are healthy, ignoring draining old targets', () => {
    // Prepare
    const rollout = evaluateRollout(greenService({ deployments: [deployment()] }), NEW_TD_ARN);
    const targets = [
      ...healthyTargets,
      target('10.0.9.1', 'draining', 'Target.DeregistrationInProgress'),
      target('10.0.9.2', 'unhealthy.draining'),
    ];

    // Act
    const readiness = evaluateGreenReadiness(rollout, targets, 3);

    // Assess
    expect(readiness).toEqual({ status: 'READY', healthyTargets: 3 });
  });

  it('without a rolloutState, is done only with a single deployment running all desired tasks', () => {
    // Prepare
    const single = greenService({ deployments: [deployment({ rolloutState: undefined })] });
    const twoDeployments = greenService({
      deployments: [
        deployment({ rolloutState: undefined }),
        deployment({ status: 'ACTIVE', taskDefinition: OLD_GREEN_TD_ARN, rolloutState: undefined, runningCount: 1 }),
      ],
    });
    const starting = greenService({ deployments: [deployment({ rolloutState: undefined, runningCount: 1 })] });

    // Act
    const states = [single, twoDeployments, starting].map((service) => evaluateRollout(service, NEW_TD_ARN).state);

    // Assess
    expect(states).toEqual(['DONE', 'IN_PROGRESS', 'IN_PROGRESS']);
  });
});
