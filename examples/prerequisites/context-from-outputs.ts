#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as v from 'valibot';
import { parseApproverArn } from '../../lambdas/shared/approvers';
import { parseListenerArn } from '../../lambdas/shared/arns';
import type { SmokeStepInput } from '../../lambdas/shared/smoke-suite';
import { type contextConfigSchema, parseContextConfig } from '../../lib/context-config';
import { DEFAULT_EXAMPLE_STACK_NAME, OUTPUT_KEYS, type OutputName } from './output-keys';

/**
 * Turns the example stack's outputs (`cdk deploy --outputs-file`) into the main app's `deploymentCrew` context:
 *   npx tsx examples/prerequisites/context-from-outputs.ts example-outputs.json \
 *     --chairman-email you@example.com --approver arn:aws:iam::123456789012:role/YourRole > crew-context.json
 * Without --chairman-email / --approver those keys hold FILL-IN placeholders that the crew's synth refuses, and the
 * script says so on stderr. A complete context is checked with the main app's own parser before it is printed, on
 * one line (for `-c deploymentCrew="$(cat crew-context.json)"`; --pretty indents it).
 */

export type CrewContext = v.InferInput<typeof contextConfigSchema>;
/** One stack's outputs, as the outputs file holds them: output key → value. */
export type StackOutputs = Readonly<Record<string, string>>;

/** Starts every value the user must replace; neither the schema nor the crew's synth accepts it. */
export const PLACEHOLDER = 'FILL-IN:';

export interface ContextChoices {
  readonly chairmanEmails?: readonly string[];
  readonly approvers?: readonly string[];
}

/** The stack's outputs out of an outputs file: the named stack, the only one, or the default name. */
export function stackOutputsOf(file: unknown, stackName?: string): StackOutputs {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    throw new Error('the outputs file is not a JSON object of stacks (write it with cdk deploy --outputs-file)');
  }
  const stacks = file as Record<string, unknown>;
  const names = Object.keys(stacks);
  const chosen =
    stackName ??
    (names.length === 1
      ? names[0]
      : names.includes(DEFAULT_EXAMPLE_STACK_NAME)
        ? DEFAULT_EXAMPLE_STACK_NAME
        : undefined);
  if (chosen === undefined || !(chosen in stacks)) {
    throw new Error(
      `stack ${chosen ?? '(none chosen)'} is not in the outputs file (it has: ${names.join(', ') || 'no stacks'}); ` +
        'name it with --stack',
    );
  }
  const outputs = stacks[chosen];
  if (typeof outputs !== 'object' || outputs === null || Array.isArray(outputs)) {
    throw new Error(`stack ${chosen} in the outputs file has no outputs object`);
  }
  return Object.fromEntries(
    Object.entries(outputs as Record<string, unknown>).flatMap(([key, value]) =>
      typeof value === 'string' ? [[key, value]] : [],
    ),
  );
}

/** The crew's context for the example application; chairmanEmails and approvers are placeholders unless chosen. */
export function contextFromOutputs(outputs: StackOutputs, choices: ContextChoices = {}): CrewContext {
  const missing = (Object.keys(OUTPUT_KEYS) as OutputName[]).filter((name) => !outputs[OUTPUT_KEYS[name]]);
  if (missing.length > 0) {
    throw new Error(
      `the outputs lack ${missing.map((name) => OUTPUT_KEYS[name]).join(', ')}: deploy the example stack ` +
        '(examples/prerequisites/app.ts) with --outputs-file and pass that file',
    );
  }
  const output = (name: OutputName): string => outputs[OUTPUT_KEYS[name]] ?? '';
  const maxConnections = Number(output('databaseMaxConnections'));
  if (!Number.isInteger(maxConnections) || maxConnections < 1) {
    throw new Error(`output ${OUTPUT_KEYS.databaseMaxConnections} is not a positive whole number`);
  }
  const listenerArn = output('listenerArn');
  const { account, partition } = parseListenerArn(listenerArn);
  const blue = output('blueTargetGroupArn');
  const green = output('greenTargetGroupArn');
  const url = output('applicationUrl').replace(/\/+$/, '');
  return {
    stackName: 'DeploymentCrew',
    listenerArn,
    targetGroupArns: [blue, green],
    database: { instanceIdentifier: output('databaseInstanceIdentifier') },
    healthEndpoints: [{ name: 'sample-app', url: `${url}/`, expectedStatus: 200, timeoutMs: 3000 }],
    chairmanEmails: [...(choices.chairmanEmails ?? [`${PLACEHOLDER} your e-mail address`])],
    approvers: [
      ...(choices.approvers ?? [`${PLACEHOLDER} arn:${partition}:iam::${account}:role/A-ROLE-YOU-CAN-ASSUME`]),
    ],
    // A trial: an hour to approve, snapshots of an empty 20 GiB database are quick.
    approvalTimeoutSeconds: 3600,
    snapshotTimeoutSeconds: 3600,
    ecs: {
      clusterName: output('clusterName'),
      services: [
        { targetGroupArn: blue, serviceName: output('blueServiceName') },
        { targetGroupArn: green, serviceName: output('greenServiceName') },
      ],
      taskDefinitionFamily: output('taskDefinitionFamily'),
      passRoleArns: [output('taskRoleArn'), output('executionRoleArn')],
    },
    databaseMaxConnections: maxConnections,
    databaseRestore: {
      subnetGroupName: output('databaseSubnetGroupName'),
      parameterGroupNames: [output('databaseParameterGroupName')],
      optionGroupNames: [output('databaseOptionGroupName')],
      fenceSecurityGroupId: output('databaseFenceSecurityGroupId'),
    },
    // Shorter than the defaults (5-minute bakes, a 1-hour watch) so that a trial ends within the hour.
    canary: { steps: [10, 50, 100], bakeSeconds: 120 },
    blueRetentionSeconds: 900,
    postDeployment: {
      productionUrl: url,
      smokeSuite: sampleSmokeSuite(),
      logGroupNames: [output('logGroupName')],
    },
  };
}

/** What nginx (and most web servers) answers: 200 on `/`, 404 on a page that does not exist. */
function sampleSmokeSuite(): SmokeStepInput[] {
  return [
    { name: 'home page', flow: 'crud', path: '/', expectedStatus: 200, maxLatencyMs: 2000, probe: true },
    {
      name: 'unknown page is 404',
      flow: 'integrations',
      path: '/deployment-crew-smoke-404',
      expectedStatus: 404,
      maxLatencyMs: 2000,
    },
  ];
}

/** Dotted paths of the values that are still placeholders. */
export function placeholdersIn(value: unknown, path = ''): string[] {
  if (typeof value === 'string') return value.startsWith(PLACEHOLDER) ? [path] : [];
  if (Array.isArray(value)) return value.flatMap((item, index) => placeholdersIn(item, `${path}[${index}]`));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value).flatMap(([key, item]) => placeholdersIn(item, path === '' ? key : `${path}.${key}`));
  }
  return [];
}

export interface ScriptIo {
  readonly readFile: (path: string) => string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const USAGE =
  'usage: context-from-outputs.ts <outputs.json> [--stack NAME] [--chairman-email ADDRESS]... [--approver ARN]... [--pretty]';

/** The script: 0 printed (placeholders, if any, listed on stderr), 1 the context is invalid, 2 bad arguments or file. */
export function main(argv: readonly string[], io: ScriptIo): number {
  let args: ReturnType<typeof parseCommandLine>;
  try {
    args = parseCommandLine(argv);
  } catch (error) {
    io.stderr(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  let context: CrewContext;
  try {
    const file: unknown = JSON.parse(io.readFile(args.path));
    context = contextFromOutputs(stackOutputsOf(file, args.stack), args.choices);
  } catch (error) {
    io.stderr(`${args.path}: ${(error as Error).message}\n`);
    return 2;
  }
  const { account } = parseListenerArn(context.listenerArn);
  const strangers = (args.choices.approvers ?? []).filter((arn) => parseApproverArn(arn)?.account !== account);
  if (strangers.length > 0) {
    io.stderr(`--approver: not an IAM role or user ARN of account ${account}: ${strangers.join(', ')}\n`);
    return 2;
  }
  const placeholders = placeholdersIn(context);
  if (placeholders.length === 0) {
    try {
      parseContextConfig(context);
    } catch (error) {
      io.stderr(`${(error as Error).message}\n`);
      return 1;
    }
  }
  // One line unless asked: `cdk -c deploymentCrew="$(cat file)"` keeps only the first line of the value.
  io.stdout(`${args.pretty ? JSON.stringify(context, null, 2) : JSON.stringify(context)}\n`);
  if (placeholders.length > 0) {
    io.stderr(
      `fill in ${placeholders.join(', ')} (or pass --chairman-email and --approver) before deploying the crew\n`,
    );
  }
  return 0;
}

function parseCommandLine(argv: readonly string[]) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      stack: { type: 'string' },
      'chairman-email': { type: 'string', multiple: true },
      approver: { type: 'string', multiple: true },
      pretty: { type: 'boolean', default: false },
    },
  });
  const [path, ...extra] = positionals;
  if (path === undefined || extra.length > 0) throw new Error('name exactly one outputs file');
  const choices: ContextChoices = {
    ...(values['chairman-email'] === undefined ? {} : { chairmanEmails: values['chairman-email'] }),
    ...(values.approver === undefined ? {} : { approvers: values.approver }),
  };
  return { path, stack: values.stack, choices, pretty: values.pretty };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.exitCode = main(process.argv.slice(2), {
    readFile: (path) => readFileSync(path, 'utf8'),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
