import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { describe, expect, it } from 'vitest';
import { GreenProvisioningFailedError } from '../../../lambdas/tools/environment-provisioner/errors';
import {
  copyableTags,
  imageRepository,
  REGISTRABLE_TASK_DEFINITION_FIELDS,
  registrableCopyOf,
  releaseTaskDefinitionInput,
  sameRegistration,
} from '../../../lambdas/tools/environment-provisioner/task-definition';
import {
  COPIED_TAGS,
  expectedRegistration,
  FAMILY,
  LIVE_TAGS,
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

  it('finds the repository of an image reference without its tag or digest, keeping a registry port', () => {
    // Prepare
    const references = [
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.4.0',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api@sha256:0a1b2c',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.4.0@sha256:0a1b2c',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/orders-api',
      'registry.example.com:5000/orders-api',
      'registry.example.com:5000/orders-api:1.4.0',
    ];

    // Act
    const repositories = references.map(imageRepository);

    // Assess
    expect(repositories).toEqual([
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api',
      '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/orders-api',
      'registry.example.com:5000/orders-api',
      'registry.example.com:5000/orders-api',
    ]);
  });

  it("replaces the image of every container from the release's repository and of no container from another one", () => {
    // Prepare
    const liveDefinition = liveTaskDefinition({
      containerDefinitions: [
        { name: 'app', image: OLD_IMAGE },
        { name: 'migrator', image: `${OLD_IMAGE.replace(':1.3.9', '')}@sha256:ffee` },
        { name: 'lookalike', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api-proxy:1.3.9' },
        { name: 'other-account', image: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.3.9' },
      ],
    });

    // Act
    const input = releaseTaskDefinitionInput(liveDefinition, {
      family: FAMILY,
      containerName: 'app',
      image: RELEASE_IMAGE,
    });

    // Assess
    expect(input.containerDefinitions).toEqual([
      { name: 'app', image: RELEASE_IMAGE },
      { name: 'migrator', image: RELEASE_IMAGE },
      { name: 'lookalike', image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders-api-proxy:1.3.9' },
      { name: 'other-account', image: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/orders-api:1.3.9' },
    ]);
  });

  it("copies live's tags without the reserved aws: ones, and sends no tags when none are left", () => {
    // Prepare
    const onlyReserved = [{ key: 'AWS:CloudFormation:stack-id', value: 'x' }];

    // Act
    const tagged = releaseTaskDefinitionInput(liveTaskDefinition(), {
      family: FAMILY,
      containerName: 'app',
      image: RELEASE_IMAGE,
      tags: LIVE_TAGS,
    });
    const untagged = releaseTaskDefinitionInput(liveTaskDefinition(), {
      family: FAMILY,
      containerName: 'app',
      image: RELEASE_IMAGE,
      tags: onlyReserved,
    });

    // Assess
    expect(tagged).toEqual({ ...expectedRegistration(), tags: COPIED_TAGS });
    expect(untagged).toEqual(expectedRegistration());
    expect(untagged).not.toHaveProperty('tags');
    expect(copyableTags(undefined)).toEqual([]);
  });

  it('compares tags as a set in the reuse check, ignoring aws: tags, and sees other tags as a different registration', () => {
    // Prepare
    const wanted = { ...expectedRegistration(), tags: COPIED_TAGS };
    const described = registeredReleaseDefinition();

    // Act
    const sameTags = sameRegistration({ ...described, tags: [...LIVE_TAGS].reverse() }, wanted);
    const noTags = sameRegistration(described, wanted);
    const otherValue = sameRegistration(
      {
        ...described,
        tags: [
          { key: 'team', value: 'payments' },
          { key: 'cost-center', value: 'cc-17' },
        ],
      },
      wanted,
    );

    // Assess
    expect(sameTags).toBe(true);
    expect(noTags).toBe(false);
    expect(otherValue).toBe(false);
  });
});
