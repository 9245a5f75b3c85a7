import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { GreenProvisioningFailedError } from '../../../lambdas/tools/environment-provisioner/errors';
import {
  REGISTRABLE_TASK_DEFINITION_FIELDS,
  registrableCopyOf,
  releaseTaskDefinitionInput,
  sameRegistration,
} from '../../../lambdas/tools/environment-provisioner/task-definition';
import {
  expectedRegistration,
  FAMILY,
  liveTaskDefinition,
  OLD_IMAGE,
  RELEASE_IMAGE,
  registeredReleaseDefinition,
} from './fixtures';

describe('task definition copy', () => {
  it('copies every registrable field into the family, replaces only the served container image, drops read-only fields', () => {
    // Prepare
    const liveDefinition = liveTaskDefinition();

    // Act
    const input = releaseTaskDefinitionInput(liveDefinition, {
      family: FAMILY,
      containerName: 'app',
      image: RELEASE_IMAGE,
    });

    // Assess
    expect(input).toEqual(expectedRegistration());
    for (const readOnly of ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities']) {
      expect(input).not.toHaveProperty(readOnly);
    }
    expect(input).not.toHaveProperty('registeredAt');
    expect(input).not.toHaveProperty('registeredBy');
  });

  it('leaves the live definition untouched (deep copy)', () => {
    // Prepare
    const liveDefinition = liveTaskDefinition();
    const before = structuredClone(liveDefinition);

    // Act
    const input = releaseTaskDefinitionInput(liveDefinition, { family: FAMILY, containerName: 'app', image: 'x:1' });
    input.containerDefinitions?.[1]?.environment?.push({ name: 'MUTATED', value: 'yes' });

    // Assess
    expect(liveDefinition).toEqual(before);
  });

  it('fails with GreenProvisioningFailed when the live revision has no container of that name', () => {
    // Prepare
    const liveDefinition = liveTaskDefinition();

    // Act
    const act = () =>
      releaseTaskDefinitionInput(liveDefinition, { family: FAMILY, containerName: 'web', image: 'x:1' });

    // Assess
    expect(act).toThrow(GreenProvisioningFailedError);
    expect(act).toThrow("0 containers named 'web' (containers: 'app', 'log-router')");
  });

  it('lists exactly the registrable fields of RegisterTaskDefinition except family and tags', () => {
    // Prepare
    const expected = [
      'containerDefinitions',
      'cpu',
      'enableFaultInjection',
      'ephemeralStorage',
      'executionRoleArn',
      'inferenceAccelerators',
      'ipcMode',
      'memory',
      'networkMode',
      'pidMode',
      'placementConstraints',
      'proxyConfiguration',
      'requiresCompatibilities',
      'runtimePlatform',
      'taskRoleArn',
      'volumes',
    ];

    // Act
    const fields = [...REGISTRABLE_TASK_DEFINITION_FIELDS].sort();

    // Assess
    expect(fields).toEqual(expected);
  });

  it('copies pidMode, ipcMode, proxyConfiguration and inferenceAccelerators when the live revision has them', () => {
    // Prepare
    const extra: Partial<TaskDefinition> = {
      pidMode: 'task',
      ipcMode: 'none',
      proxyConfiguration: {
        type: 'APPMESH',
        containerName: 'envoy',
        properties: [{ name: 'AppPorts', value: '8080' }],
      },
      inferenceAccelerators: [{ deviceName: 'device1', deviceType: 'eia2.medium' }],
    };

    // Act
    const copy = registrableCopyOf(liveTaskDefinition(extra));

    // Assess
    expect(copy).toMatchObject(extra);
  });

  it('treats a described revision as the same registration despite read-only fields, key order and empty lists', () => {
    // Prepare
    const described = registeredReleaseDefinition({ placementConstraints: undefined });
    const wanted = expectedRegistration();

    // Act
    const same = sameRegistration(described, wanted);

    // Assess
    expect(same).toBe(true);
  });

  it('sees a different image or a different sidecar setting as a different registration', () => {
    // Prepare
    const wanted = expectedRegistration();
    const otherImage = releaseTaskDefinitionInput(liveTaskDefinition(), {
      family: FAMILY,
      containerName: 'app',
      image: OLD_IMAGE,
    });
    const otherSidecar = registeredReleaseDefinition();
    otherSidecar.containerDefinitions?.[1]?.environment?.push({ name: 'LOG_LEVEL', value: 'debug' });

    // Act
    const sameAsOtherImage = sameRegistration(otherImage, wanted);
    const sameAsOtherSidecar = sameRegistration(otherSidecar, wanted);

    // Assess
    expect(sameAsOtherImage).toBe(false);
    expect(sameAsOtherSidecar).toBe(false);
  });
});
