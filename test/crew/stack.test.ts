import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CrewError } from '../../crew/errors';
import { defaultStackName, discoverStack } from '../../crew/stack';
import { DEFAULT_STACK_NAME } from '../../lambdas/shared/stack-outputs';
import {
  callsOf,
  crewWorld,
  LOCK_KEY,
  noCredentials,
  OUTPUT_VALUES,
  REGION,
  STACK_NAME,
  stackDoesNotExist,
  stackOutputs,
  unknownRegionEndpoint,
} from './support';

/** The stack's outputs are everything the CLI knows about the deployment: each way of not finding them says why. */

async function crewErrorOf(promise: Promise<unknown>): Promise<CrewError> {
  const error = await promise.then(
    () => undefined,
    (rejected: unknown) => rejected,
  );
  if (!(error instanceof CrewError)) throw new Error(`expected a CrewError, got ${String(error)}`);
  return error;
}

describe('discoverStack', () => {
  it('reads every output of the stack with one DescribeStacks by name', async () => {
    // Prepare
    const world = crewWorld();

    // Act
    const outputs = await discoverStack(world.context().clients.cloudFormation, STACK_NAME, REGION);

    // Assess
    expect(outputs).toEqual({ stackName: STACK_NAME, ...OUTPUT_VALUES });
    expect(callsOf(world.cloudFormation)).toEqual([['DescribeStacksCommand', { StackName: STACK_NAME }]]);
  });

  it('says the stack does not exist in the region searched, and how to name another', async () => {
    // Prepare
    const world = crewWorld();
    world.cloudFormation.on(DescribeStacksCommand).rejects(stackDoesNotExist('Elsewhere'));

    // Act
    const error = await crewErrorOf(discoverStack(world.context().clients.cloudFormation, 'Elsewhere', 'us-east-2'));

    // Assess
    expect(error.code).toBe('STACK_NOT_FOUND');
    expect(error.message).toBe("stack 'Elsewhere' does not exist in region us-east-2");
    expect(error.hint).toBe('pass --stack <name> and --region <region> of the deployed DeploymentCrew stack');
  });

  it('says no region was configured when the stack is looked for without one', async () => {
    // Prepare
    const world = crewWorld();
    world.cloudFormation.on(DescribeStacksCommand).rejects(stackDoesNotExist());

    // Act
    const error = await crewErrorOf(discoverStack(world.context().clients.cloudFormation, STACK_NAME, undefined));

    // Assess
    expect(error.message).toBe("stack 'DeploymentCrew' does not exist in region (none configured)");
  });

  it('names the outputs a stack lacks: not a DeploymentCrew stack, or an older one', async () => {
    // Prepare
    const world = crewWorld();
    const { lockKey: _lockKey, rollbackUrl: _rollbackUrl, ...older } = OUTPUT_VALUES;
    world.cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: STACK_NAME,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: stackOutputs(older),
        },
      ],
    });

    // Act
    const error = await crewErrorOf(discoverStack(world.context().clients.cloudFormation, STACK_NAME, REGION));

    // Assess
    expect(error.code).toBe('STACK_NOT_FOUND');
    expect(error.message).toBe(
      "stack 'DeploymentCrew' has no output RollbackUrl, LockKey: it is not a DeploymentCrew stack, or an older one",
    );
    expect(error.hint).toBe('deploy the current version of the stack (npx cdk deploy), or pass --stack <name>');
  });

  it('treats an empty output value as missing', async () => {
    // Prepare
    const world = crewWorld();
    world.cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: STACK_NAME,
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: stackOutputs({ ...OUTPUT_VALUES, lockKey: '' }),
        },
      ],
    });

    // Act
    const error = await crewErrorOf(discoverStack(world.context().clients.cloudFormation, STACK_NAME, REGION));

    // Assess
    expect(error.message).toMatch(/^stack 'DeploymentCrew' has no output LockKey:/);
  });

  it('maps missing credentials, an unreachable region and other AWS errors to their own codes', async () => {
    // Prepare
    const world = crewWorld();
    const cloudFormation = world.context().clients.cloudFormation;
    const denied = new CloudFormationServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      message: 'User is not authorized to perform: cloudformation:DescribeStacks',
      $metadata: { httpStatusCode: 403 },
    });
    world.cloudFormation
      .on(DescribeStacksCommand)
      .rejectsOnce(noCredentials())
      .rejectsOnce(unknownRegionEndpoint('cloudformation.eu-wset-1.amazonaws.com'))
      .rejectsOnce(denied);

    // Act
    const errors = [
      await crewErrorOf(discoverStack(cloudFormation, STACK_NAME, REGION)),
      await crewErrorOf(discoverStack(cloudFormation, STACK_NAME, 'eu-wset-1')),
      await crewErrorOf(discoverStack(cloudFormation, STACK_NAME, REGION)),
    ];

    // Assess
    expect(errors.map((error) => [error.code, error.message])).toEqual([
      [
        'NO_CREDENTIALS',
        'no usable AWS credentials: Could not load credentials from any providers: Error: Could not load credentials from any providers',
      ],
      [
        'WRONG_REGION',
        "AWS is not reachable in region 'eu-wset-1': getaddrinfo ENOTFOUND cloudformation.eu-wset-1.amazonaws.com",
      ],
      ['AWS_ERROR', 'AccessDenied: User is not authorized to perform: cloudformation:DescribeStacks'],
    ]);
  });

  describe('with a real CloudFormation client (the SDK fails before any request)', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it('is WRONG_REGION when no region is configured anywhere', async () => {
      // Prepare: no region in the environment or a config file.
      vi.stubEnv('AWS_REGION', undefined);
      vi.stubEnv('AWS_DEFAULT_REGION', undefined);
      vi.stubEnv('AWS_PROFILE', undefined);
      vi.stubEnv('AWS_CONFIG_FILE', join(tmpdir(), 'crew-no-such-config'));
      const cloudFormation = new CloudFormationClient({
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      });

      // Act
      const error = await crewErrorOf(discoverStack(cloudFormation, STACK_NAME, undefined));

      // Assess
      expect([error.code, error.message, error.hint]).toEqual([
        'WRONG_REGION',
        'no AWS region is configured',
        'pass --region <the stack region>, or set AWS_REGION',
      ]);
    });

    it('is NO_CREDENTIALS when the credential provider finds none', async () => {
      // Prepare
      const cloudFormation = new CloudFormationClient({
        region: REGION,
        credentials: async () => {
          throw noCredentials();
        },
      });

      // Act
      const error = await crewErrorOf(discoverStack(cloudFormation, STACK_NAME, REGION));

      // Assess
      expect(error.code).toBe('NO_CREDENTIALS');
      expect(error.hint).toBe(
        'configure credentials as for the AWS CLI (aws configure, aws sso login, or AWS_PROFILE)',
      );
    });
  });
});

describe('createContext', () => {
  it('reads the stack once per run however many times a command asks', async () => {
    // Prepare
    const world = crewWorld();
    const context = world.context();

    // Act
    const [first, second] = await Promise.all([context.stack(), context.stack()]);
    const third = await context.stack();

    // Assess
    expect(first.lockKey).toBe(LOCK_KEY);
    expect(second).toBe(first);
    expect(third).toBe(first);
    expect(world.cloudFormation.calls()).toHaveLength(1);
  });
});

describe('defaultStackName', () => {
  const directories: string[] = [];
  function projectWith(cdkJson: string | undefined): string {
    const directory = mkdtempSync(join(tmpdir(), 'crew-stack-'));
    directories.push(directory);
    if (cdkJson !== undefined) writeFileSync(join(directory, 'cdk.json'), cdkJson);
    return directory;
  }
  afterEach(() => {
    for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
  });

  it("takes cdk.json's deploymentCrew.stackName from the working directory", () => {
    // Prepare
    const directory = projectWith(JSON.stringify({ context: { deploymentCrew: { stackName: 'ShopDeployments' } } }));

    // Act
    const name = defaultStackName(directory);

    // Assess
    expect(name).toBe('ShopDeployments');
  });

  it("is the app's default without cdk.json, with an unreadable one, or without a usable name", () => {
    // Prepare
    const directories = [
      projectWith(undefined),
      projectWith('{ not json'),
      projectWith(JSON.stringify({ context: {} })),
      projectWith(JSON.stringify({ context: { deploymentCrew: { stackName: '' } } })),
      projectWith(JSON.stringify({ context: { deploymentCrew: { stackName: 42 } } })),
    ];

    // Act
    const names = directories.map((directory) => defaultStackName(directory));

    // Assess
    expect(DEFAULT_STACK_NAME).toBe('DeploymentCrew');
    expect(names).toEqual(Array(5).fill(DEFAULT_STACK_NAME));
  });
});
