import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { CrewError, type CrewErrorCode, EXIT_CODES } from '../../crew/errors';
import { run } from '../../crew/main';
import {
  CHAIRMAN,
  crewWorld,
  DEPLOYMENT,
  onlyJsonDocument,
  STACK_NAME,
  STATE_MACHINE_ARN,
  stackOutputs,
} from './support';

/**
 * main.ts: the global options reach every command's context, usage mistakes exit 2 without building one, each
 * CrewError leaves with its own exit code, and stdout in --json mode is exactly one JSON document, errors included.
 */

/** A world in which `crew approve <DEPLOYMENT>` succeeds against stack `stackName`. */
function approvingWorld(stackName = STACK_NAME) {
  const world = crewWorld();
  world.cloudFormation.on(DescribeStacksCommand, { StackName: stackName }).resolves({
    Stacks: [
      { StackName: stackName, StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: stackOutputs() },
    ],
  });
  world.sfn.on(DescribeExecutionCommand).resolves({
    executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${DEPLOYMENT}`,
    stateMachineArn: STATE_MACHINE_ARN,
    status: 'RUNNING',
    startDate: new Date(),
  });
  world.answerUrl = () => ({
    status: 200,
    body: { kind: 'START', approver: { identity: CHAIRMAN }, answeredAt: '2026-11-17T09:30:06.000Z' },
  });
  return world;
}

/** run() with a context factory that throws `error` (as a command would), capturing the output. */
async function runFailingWith(error: unknown, argv: readonly string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, {
    contextFor: () => {
      throw error;
    },
    rehearse: async () => 0,
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

describe('run: global options', () => {
  it("defaults to the stack named in cdk.json, the SDK's region and human output", async () => {
    // Prepare
    const world = approvingWorld();

    // Act
    const { code } = await world.run(['approve', DEPLOYMENT]);

    // Assess
    expect(code).toBe(0);
    expect(world.contexts).toEqual([{ stackName: 'DeploymentCrew', region: undefined, json: false }]);
  });

  it('takes --stack, --region and --json before or after the command', async () => {
    // Prepare
    const world = approvingWorld('ShopDeployments');

    // Act
    const before = await world.run([
      '--stack',
      'ShopDeployments',
      '--region',
      'us-east-2',
      '--json',
      'approve',
      DEPLOYMENT,
    ]);
    const after = await world.run([
      'approve',
      DEPLOYMENT,
      '--stack',
      'ShopDeployments',
      '--region',
      'us-east-2',
      '--json',
    ]);

    // Assess
    expect([before.code, after.code]).toEqual([0, 0]);
    expect(world.contexts).toEqual([
      { stackName: 'ShopDeployments', region: 'us-east-2', json: true },
      { stackName: 'ShopDeployments', region: 'us-east-2', json: true },
    ]);
    expect(onlyJsonDocument(after.stdout)).toEqual(onlyJsonDocument(before.stdout));
    expect(world.cloudFormation.commandCalls(DescribeStacksCommand).map((call) => call.args[0].input)).toEqual([
      { StackName: 'ShopDeployments' },
      { StackName: 'ShopDeployments' },
    ]);
  });
});

describe('run: usage', () => {
  it('lists every command in --help, on stdout, and exits 0', async () => {
    // Prepare
    const world = crewWorld();

    // Act
    const { code, stdout, stderr } = await world.run(['--help']);

    // Assess
    expect([code, stderr]).toEqual([0, '']);
    const commands = /Commands:\n([\s\S]*)$/.exec(stdout)?.[1] ?? '';
    expect([...commands.matchAll(/^ {2}(\w+)/gm)].map((match) => match[1])).toEqual([
      'start',
      'approve',
      'reject',
      'rollback',
      'status',
      'history',
      'unlock',
      'rehearse',
      'help',
    ]);
  });

  it('exits 2 on an unknown command, no command, or a bad option value, and builds no context', async () => {
    // Prepare
    const world = crewWorld();

    // Act
    const unknown = await world.run(['frobnicate']);
    const none = await world.run([]);
    const badValue = await world.run(['start', '--version', '1.4.0', '--image', 'shop:1.4.0', '--bake', '0']);

    // Assess
    expect([unknown.code, none.code, badValue.code]).toEqual([2, 2, 2]);
    expect(unknown.stderr).toMatch(/^error: unknown command 'frobnicate'\n/);
    expect(none.stderr).toMatch(/^Usage: crew \[options\] \[command\]\n/);
    expect(badValue.stderr).toMatch(
      /^error: option '--bake <seconds>' argument '0' is invalid\. must be a positive whole number\n/,
    );
    expect([unknown.stdout, none.stdout, badValue.stdout]).toEqual(['', '', '']);
    expect(world.contexts).toEqual([]);
  });

  it('keeps stdout one JSON document in --json mode when the command line is wrong', async () => {
    // Prepare
    const world = crewWorld();

    // Act
    const { code, stdout } = await world.run(['--json', 'start', '--version', '1.4.0']);

    // Assess
    expect(code).toBe(EXIT_CODES.USAGE);
    const document = onlyJsonDocument(stdout) as { error: Record<string, unknown> };
    expect(Object.keys(document.error)).toEqual(['code', 'message', 'hint']);
    expect(document.error.code).toBe('USAGE');
    expect(document.error.message).toContain("required option '--image <uri>' not specified");
  });
});

describe('run: errors', () => {
  const codes = Object.keys(EXIT_CODES) as CrewErrorCode[];

  it('gives each error code its own exit code, none of them success or the internal error', () => {
    // Act
    const exits: number[] = codes.map((code) => EXIT_CODES[code]);

    // Assess
    expect(new Set(exits).size).toBe(codes.length);
    expect(exits.filter((exit) => exit === 0)).toEqual([]);
    // Exit 1 is the internal error's alone: a script can tell a defect from every failure the CLI names.
    expect(codes.filter((code) => EXIT_CODES[code] === 1)).toEqual(['INTERNAL']);
  });

  it.each(codes)('leaves with the exit code of %s, its message on stderr and its hint under it', async (code) => {
    // Act
    const {
      code: exit,
      stdout,
      stderr,
    } = await runFailingWith(new CrewError(code, `what happened (${code})`, 'what to do'), ['history']);

    // Assess
    expect(exit).toBe(EXIT_CODES[code]);
    expect(stdout).toBe('');
    expect(stderr).toBe(`crew: what happened (${code})\n  what to do\n`);
  });

  it.each(codes)('prints %s as the one JSON document { error: { code, message, hint } } with --json', async (code) => {
    // Act
    const {
      code: exit,
      stdout,
      stderr,
    } = await runFailingWith(new CrewError(code, `what happened (${code})`), ['history', '--json']);

    // Assess
    expect(exit).toBe(EXIT_CODES[code]);
    expect(stderr).toBe('');
    expect(onlyJsonDocument(stdout)).toEqual({ error: { code, message: `what happened (${code})`, hint: null } });
  });

  it('treats anything else a command throws as an internal error: exit 1, with its message', async () => {
    // Act
    const human = await runFailingWith(new TypeError("Cannot read properties of undefined (reading 'x')"), ['history']);
    const json = await runFailingWith(new TypeError('boom'), ['--json', 'history']);

    // Assess
    expect(human).toEqual({
      code: 1,
      stdout: '',
      stderr: "crew: internal error: Cannot read properties of undefined (reading 'x')\n",
    });
    expect(json.code).toBe(1);
    expect((onlyJsonDocument(json.stdout) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'INTERNAL',
      message: 'internal error: boom',
    });
  });

  it('says no region is configured when the SDK finds none (WRONG_REGION)', async () => {
    // Prepare: what the SDK throws when neither --region nor AWS_REGION nor a profile names one.
    const world = approvingWorld();
    world.cloudFormation.on(DescribeStacksCommand).rejects(new Error('Region is missing'));

    // Act
    const { code, stderr } = await world.run(['approve', DEPLOYMENT]);

    // Assess
    expect(code).toBe(EXIT_CODES.WRONG_REGION);
    expect(stderr).toBe('crew: no AWS region is configured\n  pass --region <the stack region>, or set AWS_REGION\n');
    expect(world.urlCalls).toEqual([]);
  });
});

describe('run: rehearse', () => {
  async function rehearse(argv: readonly string[]) {
    const received: (readonly string[])[] = [];
    let contexts = 0;
    const code = await run(argv, {
      contextFor: () => {
        contexts += 1;
        throw new Error('rehearse needs no AWS context');
      },
      rehearse: async (args) => {
        received.push(args);
        return 1;
      },
      stdout: () => {},
      stderr: () => {},
    });
    return { code, received, contexts };
  }

  it("hands the rehearsal its arguments and exits with the rehearsal's code", async () => {
    // Act
    const result = await rehearse(['rehearse', '--scenario', 'error-rate-breach-at-50', '--list']);

    // Assess
    expect(result).toEqual({ code: 1, received: [['--scenario', 'error-rate-breach-at-50', '--list']], contexts: 0 });
  });

  it("passes --json on to the rehearsal (its own one-document mode), not to crew's option", async () => {
    // Act
    const result = await rehearse(['rehearse', '--scenario', 'manual-override', '--json']);

    // Assess
    expect(result.received).toEqual([['--scenario', 'manual-override', '--json']]);
  });
});
