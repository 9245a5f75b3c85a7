import { hostname, userInfo } from 'node:os';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { executionNameFor } from '../../crew/commands/start';
import { EXIT_CODES } from '../../crew/errors';
import { LOCK_VIEW_ATTRIBUTES, projectionOf } from '../../crew/lock-view';
import {
  callsOf,
  crewWorld,
  LOCK_KEY,
  NOW,
  noCredentials,
  onlyJsonDocument,
  REGION,
  STACK_NAME,
  STATE_MACHINE_ARN,
  STATE_TABLE,
  stackDoesNotExist,
  unknownRegionEndpoint,
} from './support';

// The execution name's random suffix, fixed so that the name (and the output) can be compared exactly.
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return {
    ...actual,
    randomBytes: (size: number) => (size === 2 ? Buffer.from('beef', 'hex') : actual.randomBytes(size)),
  };
});

/** `crew start`: validated with the state machine's own schema, refused while the lock is held, named readably. */

const NAME = 'rel-1-4-0-20261117-093005-beef';
const EXECUTION_ARN = `arn:aws:states:${REGION}:123456789012:execution:DeploymentCrewWorkflow:${NAME}`;
const FULL_START = [
  'start',
  '--version',
  '1.4.0',
  '--image',
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0',
  '--schema-change',
  '--notes',
  'adds the wishlist table',
  '--requested-by',
  'jane@shop.example.com',
  '--approval-timeout',
  '3600',
  '--bake',
  '120',
];
const REQUEST = {
  release: {
    version: '1.4.0',
    image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0',
    schemaChange: true,
    notes: 'adds the wishlist table',
  },
  requestedBy: 'jane@shop.example.com',
  options: { approvalTimeoutSeconds: 3600, bakeSeconds: 120 },
};
/** The lock read through the lock view's projection: `bakeToken` (a task token) is never among what is read. */
const LOCK_READ = {
  TableName: STATE_TABLE,
  Key: { pk: LOCK_KEY, sk: 'LOCK' },
  ConsistentRead: true,
  ...projectionOf(LOCK_VIEW_ATTRIBUTES),
};

/** A world whose lock is free (or holds `lock`) and whose state machine starts what it is asked to. */
function startWorld(lock?: Record<string, unknown>) {
  const world = crewWorld();
  world.dynamo.on(GetCommand).resolves(lock === undefined ? {} : { Item: { pk: LOCK_KEY, sk: 'LOCK', ...lock } });
  world.sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: NOW });
  return world;
}

const nowSeconds = Math.floor(NOW.getTime() / 1000);

describe('crew start', () => {
  it('reads the stack and the lock, then starts one execution with the validated input', async () => {
    // Prepare
    const world = startWorld();

    // Act
    const { code, stdout, stderr } = await world.run(FULL_START);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    expect(callsOf(world.cloudFormation)).toEqual([['DescribeStacksCommand', { StackName: STACK_NAME }]]);
    expect(callsOf(world.dynamo)).toEqual([['GetCommand', LOCK_READ]]);
    expect(callsOf(world.sfn)).toEqual([
      ['StartExecutionCommand', { stateMachineArn: STATE_MACHINE_ARN, name: NAME, input: JSON.stringify(REQUEST) }],
    ]);
    expect(world.contexts).toEqual([{ stackName: STACK_NAME, region: undefined, json: false }]);
    expect(stdout).toMatchInlineSnapshot(`
      "Started deployment rel-1-4-0-20261117-093005-beef
        release   1.4.0 (123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0), schema change
        execution arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrewWorkflow:rel-1-4-0-20261117-093005-beef

      The Chairman is asked to approve it now. Follow it with:
        crew status rel-1-4-0-20261117-093005-beef --watch
      "
    `);
  });

  it('prints exactly one JSON document with --json', async () => {
    // Prepare
    const world = startWorld();

    // Act
    const { code, stdout, stderr } = await world.run(['--json', ...FULL_START]);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    expect(onlyJsonDocument(stdout)).toEqual({ deployment: NAME, executionArn: EXECUTION_ARN, input: REQUEST });
    expect(stdout).toMatchInlineSnapshot(`
      "{
        "deployment": "rel-1-4-0-20261117-093005-beef",
        "executionArn": "arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrewWorkflow:rel-1-4-0-20261117-093005-beef",
        "input": {
          "release": {
            "version": "1.4.0",
            "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0",
            "schemaChange": true,
            "notes": "adds the wishlist table"
          },
          "requestedBy": "jane@shop.example.com",
          "options": {
            "approvalTimeoutSeconds": 3600,
            "bakeSeconds": 120
          }
        }
      }
      "
    `);
  });

  it('says who asked by default (crew:<user>@<host>) and leaves the stack defaults to the stack', async () => {
    // Prepare
    const world = startWorld();

    // Act
    const { code } = await world.run([
      'start',
      '--version',
      '2.0.0-rc.1',
      '--image',
      `shop/web@sha256:${'a'.repeat(64)}`,
    ]);

    // Assess
    expect(code).toBe(0);
    const [[, input]] = callsOf(world.sfn) as [[string, { name: string; input: string }]];
    expect(input.name).toBe('rel-2-0-0-rc-1-20261117-093005-beef');
    expect(JSON.parse(input.input)).toEqual({
      release: { version: '2.0.0-rc.1', image: `shop/web@sha256:${'a'.repeat(64)}`, schemaChange: false },
      requestedBy: `crew:${userInfo().username}@${hostname()}`,
    });
  });

  it('starts when the lock left is HELD and expired: the new execution takes it over', async () => {
    // Prepare
    const world = startWorld({
      holder: 'rel-1-3-9-20261110-080000-abcd',
      lockState: 'HELD',
      expiresAt: nowSeconds - 1,
    });

    // Act
    const { code } = await world.run(FULL_START);

    // Assess
    expect(code).toBe(0);
    expect(callsOf(world.sfn).map(([name]) => name)).toEqual(['StartExecutionCommand']);
  });

  describe('refuses, and says why', () => {
    it('sends nothing when the input fails the schema (a mutable tag): USAGE', async () => {
      // Prepare
      const world = startWorld();

      // Act
      const human = await world.run(['start', '--version', '1.4.0', '--image', 'shop/web:latest']);
      const json = await world.run(['start', '--version', '1.4.0', '--image', 'shop/web:latest', '--json']);

      // Assess
      expect(human.code).toBe(EXIT_CODES.USAGE);
      expect(human.stdout).toBe('');
      expect(human.stderr).toMatchInlineSnapshot(`
        "crew: invalid deployment input: release.image: the tag 'latest' is mutable: pin a version tag or an @sha256 digest
          nothing was started
        "
      `);
      expect(json.code).toBe(EXIT_CODES.USAGE);
      expect(onlyJsonDocument(json.stdout)).toEqual({
        error: {
          code: 'USAGE',
          message: expect.stringMatching(/^invalid deployment input: .*latest/),
          hint: 'nothing was started',
        },
      });
      expect(json.stderr).toBe('');
      expect([world.cloudFormation.calls(), world.dynamo.calls(), world.sfn.calls()]).toEqual([[], [], []]);
    });

    it('while another deployment holds the lock: LOCK_HELD, naming the holder and its phase', async () => {
      // Prepare
      const world = startWorld({
        holder: 'rel-1-3-9-20261110-080000-abcd',
        lockState: 'HELD',
        phase: 'CUTOVER',
        expiresAt: nowSeconds + 3600,
      });

      // Act
      const human = await world.run(FULL_START);
      const json = await world.run(['--json', ...FULL_START]);

      // Assess
      expect(human.code).toBe(EXIT_CODES.LOCK_HELD);
      expect(human.stdout).toBe('');
      expect(human.stderr).toBe(
        'crew: deployment rel-1-3-9-20261110-080000-abcd is in progress (phase CUTOVER): one deployment at a time\n' +
          '  crew status rel-1-3-9-20261110-080000-abcd --watch\n',
      );
      expect(json.code).toBe(EXIT_CODES.LOCK_HELD);
      expect(onlyJsonDocument(json.stdout)).toEqual({
        error: {
          code: 'LOCK_HELD',
          message: 'deployment rel-1-3-9-20261110-080000-abcd is in progress (phase CUTOVER): one deployment at a time',
          hint: 'crew status rel-1-3-9-20261110-080000-abcd --watch',
        },
      });
      expect(world.sfn.calls()).toEqual([]);
    });

    it('while the lock is ESCALATED: production needs a person first', async () => {
      // Prepare: escalating removes expiresAt.
      const world = startWorld({ holder: 'rel-1-3-9-20261110-080000-abcd', lockState: 'ESCALATED' });

      // Act
      const { code, stderr } = await world.run(FULL_START);

      // Assess
      expect(code).toBe(EXIT_CODES.LOCK_HELD);
      expect(stderr).toBe(
        'crew: the lock is ESCALATED by rel-1-3-9-20261110-080000-abcd: its rollback failed and production needs a person first\n' +
          '  follow the runbook (README, "After an escalation"), then crew unlock --force\n',
      );
      expect(world.sfn.calls()).toEqual([]);
    });

    it('while an ESCALATED lock is past its expiry: the state machine takes over only HELD locks', async () => {
      // Prepare: the lock step's condition is `expiresAt < :now AND lockState = HELD`.
      const world = startWorld({
        holder: 'rel-1-3-9-20261110-080000-abcd',
        lockState: 'ESCALATED',
        expiresAt: nowSeconds - 3600,
      });

      // Act
      const { code } = await world.run(FULL_START);

      // Assess
      expect(code).toBe(EXIT_CODES.LOCK_HELD);
      expect(world.sfn.calls()).toEqual([]);
    });

    it('when an execution of that name already exists: REFUSED, run it again', async () => {
      // Prepare
      const world = startWorld();
      world.sfn
        .on(StartExecutionCommand)
        .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));

      // Act
      const { code, stderr } = await world.run(FULL_START);

      // Assess
      expect(code).toBe(EXIT_CODES.REFUSED);
      expect(stderr).toBe(`crew: an execution named ${NAME} already exists\n  run the command again\n`);
    });

    it('when the stack is not in the region: STACK_NOT_FOUND, before any other call', async () => {
      // Prepare
      const world = startWorld();
      world.cloudFormation.on(DescribeStacksCommand).rejects(stackDoesNotExist('Shop'));

      // Act
      const { code, stderr } = await world.run(['--stack', 'Shop', '--region', 'us-east-1', ...FULL_START]);

      // Assess
      expect(code).toBe(EXIT_CODES.STACK_NOT_FOUND);
      expect(stderr).toBe(
        "crew: stack 'Shop' does not exist in region us-east-1\n" +
          '  pass --stack <name> and --region <region> of the deployed DeploymentCrew stack\n',
      );
      expect(callsOf(world.cloudFormation)).toEqual([['DescribeStacksCommand', { StackName: 'Shop' }]]);
      expect([world.dynamo.calls(), world.sfn.calls()]).toEqual([[], []]);
    });

    it('without credentials: NO_CREDENTIALS', async () => {
      // Prepare
      const world = startWorld();
      world.cloudFormation.on(DescribeStacksCommand).rejects(noCredentials());

      // Act
      const { code, stdout } = await world.run(['--json', ...FULL_START]);

      // Assess
      expect(code).toBe(EXIT_CODES.NO_CREDENTIALS);
      expect(onlyJsonDocument(stdout)).toEqual({
        error: {
          code: 'NO_CREDENTIALS',
          message:
            'no usable AWS credentials: Could not load credentials from any providers: Error: Could not load credentials from any providers',
          hint: 'configure credentials as for the AWS CLI (aws configure, aws sso login, or AWS_PROFILE)',
        },
      });
    });

    it('in a region that does not exist: WRONG_REGION', async () => {
      // Prepare
      const world = startWorld();
      world.cloudFormation
        .on(DescribeStacksCommand)
        .rejects(unknownRegionEndpoint('cloudformation.eu-wset-1.amazonaws.com'));

      // Act
      const { code, stderr } = await world.run(['--region', 'eu-wset-1', ...FULL_START]);

      // Assess
      expect(code).toBe(EXIT_CODES.WRONG_REGION);
      expect(stderr).toBe(
        "crew: AWS is not reachable in region 'eu-wset-1': getaddrinfo ENOTFOUND cloudformation.eu-wset-1.amazonaws.com\n" +
          '  pass --region <the stack region>, or set AWS_REGION\n',
      );
    });

    it('when the lock cannot be read (credentials expired mid-run): NO_CREDENTIALS, nothing started', async () => {
      // Prepare
      const world = startWorld();
      const expired = Object.assign(new Error('The security token included in the request is expired'), {
        name: 'ExpiredTokenException',
      });
      world.dynamo.on(GetCommand).rejects(expired);

      // Act
      const { code, stderr } = await world.run(FULL_START);

      // Assess
      expect(code).toBe(EXIT_CODES.NO_CREDENTIALS);
      expect(stderr).toMatch(
        /^crew: no usable AWS credentials: The security token included in the request is expired\n/,
      );
      expect(world.sfn.calls()).toEqual([]);
    });
  });
});

describe('executionNameFor', () => {
  it('is rel-<version>-<UTC time>-<random>: sorts by time, says which release', () => {
    // Act
    const name = executionNameFor('1.4.0+build.7', new Date('2026-01-02T03:04:05.678Z'), '0a1b');

    // Assess
    expect(name).toBe('rel-1-4-0-build-7-20260102-030405-0a1b');
  });

  it('differs between two starts of the same release in the same second', () => {
    // Act
    const names = new Set(['0000', '0001'].map((random) => executionNameFor('1.4.0', NOW, random)));

    // Assess
    expect(names.size).toBe(2);
  });

  it('stays within the 80 characters Step Functions allows for the longest version', () => {
    // Act
    const name = executionNameFor('v'.repeat(64), NOW, 'beef');

    // Assess
    expect(name).toHaveLength(80);
    expect(name).toMatch(/^rel-v+-20261117-093005-beef$/);
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });
});
