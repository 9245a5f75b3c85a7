import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { type CrewContext, createContext } from '../../crew/context';
import type { FunctionUrlAnswer } from '../../crew/function-url';
import { run } from '../../crew/main';
import { STACK_OUTPUTS } from '../../lambdas/shared/stack-outputs';
import { lockKeyFor } from '../../lambdas/shared/state-table';

/**
 * The `crew` CLI's test world: a CrewContext built by the real `createContext` over SFN, CloudFormation and DynamoDB
 * clients mocked per instance (aws-sdk-client-mock), a fake function URL caller, a terminal that records what is
 * written, and a fixed clock. `run` drives the whole CLI (main.ts) over the same world.
 */

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const STACK_NAME = 'DeploymentCrew';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:DeploymentCrewWorkflow`;
export const APPROVAL_URL = `https://approvalurlid.lambda-url.${REGION}.on.aws/`;
export const ROLLBACK_URL = `https://rollbackurlid.lambda-url.${REGION}.on.aws/`;
export const STATE_TABLE = 'DeploymentCrew-StateTable1A2B3C';
export const LISTENER_ARN = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2`;
export const LOCK_KEY = lockKeyFor(LISTENER_ARN);
export const NOW = new Date('2026-11-17T09:30:05.123Z');
export const CHAIRMAN = `arn:aws:sts::${ACCOUNT}:assumed-role/Chairman/jane`;
export const DEPLOYMENT = 'rel-1-4-0-20261117-093005-beef';

/** The outputs the deployed stack has, keyed as CloudFormation names them. */
export const OUTPUT_VALUES: Readonly<Record<keyof typeof STACK_OUTPUTS, string>> = {
  stateMachineArn: STATE_MACHINE_ARN,
  approvalUrl: APPROVAL_URL,
  rollbackUrl: ROLLBACK_URL,
  stateTableName: STATE_TABLE,
  reportBucketName: 'deploymentcrew-reports-1a2b3c',
  dashboardUrl: `https://console.aws.amazon.com/cloudwatch/home?region=${REGION}#dashboards:name=DeploymentCrew`,
  lockKey: LOCK_KEY,
};

export function stackOutputs(values: Partial<Record<keyof typeof STACK_OUTPUTS, string>> = OUTPUT_VALUES) {
  return Object.entries(STACK_OUTPUTS).flatMap(([name, key]) => {
    const value = values[name as keyof typeof STACK_OUTPUTS];
    return value === undefined ? [] : [{ OutputKey: key, OutputValue: value }];
  });
}

/** DescribeStacks' answer for a stack that does not exist (in that region), as CloudFormation throws it. */
export function stackDoesNotExist(stackName = STACK_NAME): CloudFormationServiceException {
  return new CloudFormationServiceException({
    name: 'ValidationError',
    $fault: 'client',
    message: `Stack with id ${stackName} does not exist`,
    $metadata: { httpStatusCode: 400 },
  });
}

/** What the SDK's default credential chain throws when it finds nothing (its CredentialsProviderError). */
export function noCredentials(): Error {
  const error = new Error(
    'Could not load credentials from any providers: Error: Could not load credentials from any providers',
  );
  error.name = 'CredentialsProviderError';
  return error;
}

/** What the SDK's HTTP handler rejects with when the region's endpoint does not resolve (a region that does not exist). */
export function unknownRegionEndpoint(host: string): Error {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', syscall: 'getaddrinfo' });
}

export interface UrlCall {
  readonly url: string;
  readonly body: unknown;
}

export interface CrewWorld {
  readonly sfn: AwsClientStub<SFNClient>;
  readonly cloudFormation: AwsClientStub<CloudFormationClient>;
  readonly dynamo: AwsClientStub<DynamoDBDocumentClient>;
  /** Every function URL call, in order. */
  readonly urlCalls: UrlCall[];
  /** What the function URL answers next (default: 200 `{}`). */
  answerUrl: (call: UrlCall) => FunctionUrlAnswer;
  /** What stdout and stderr received, as written. */
  readonly out: { stdout: string; stderr: string };
  /** The options main.ts built each context with. */
  readonly contexts: { stackName: string; region: string | undefined; json: boolean }[];
  /** A context as main.ts would build it without flags (human mode, --region eu-west-1). */
  context(options?: { json?: boolean; region?: string | undefined }): CrewContext;
  /** Runs the whole CLI; answers with the exit code and what it wrote. */
  run(argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
}

/** A world whose stack exists with every output and whose clients answer nothing else until a test says so. */
export function crewWorld(): CrewWorld {
  const clients = {
    sfn: new SFNClient({ region: REGION }),
    cloudFormation: new CloudFormationClient({ region: REGION }),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION })),
  };
  const sfn = mockClient(clients.sfn);
  const cloudFormation = mockClient(clients.cloudFormation);
  const dynamo = mockClient(clients.dynamo);
  // Anything a test did not set up fails loudly rather than answering undefined.
  sfn.onAnyCommand().rejects(new Error('unexpected SFN call'));
  dynamo.onAnyCommand().rejects(new Error('unexpected DynamoDB call'));
  cloudFormation.onAnyCommand().rejects(new Error('unexpected CloudFormation call'));
  cloudFormation.on(DescribeStacksCommand, { StackName: STACK_NAME }).resolves({
    Stacks: [
      {
        StackName: STACK_NAME,
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date('2026-10-01T08:00:00Z'),
        Outputs: stackOutputs(),
      },
    ],
  });

  const out = { stdout: '', stderr: '' };
  const urlCalls: UrlCall[] = [];
  const contexts: CrewWorld['contexts'] = [];
  const world: CrewWorld = {
    sfn,
    cloudFormation,
    dynamo,
    urlCalls,
    out,
    contexts,
    answerUrl: () => ({ status: 200, body: {} }),
    context: (options = {}) => build({ stackName: STACK_NAME, region: REGION, json: false, ...options }),
    run: async (argv) => {
      const before = { stdout: out.stdout.length, stderr: out.stderr.length };
      const code = await run(argv, {
        contextFor: (options) => {
          contexts.push(options);
          return build(options);
        },
        rehearse: async () => {
          throw new Error('rehearse is not expected here');
        },
        stdout: (text) => {
          out.stdout += text;
        },
        stderr: (text) => {
          out.stderr += text;
        },
      });
      return { code, stdout: out.stdout.slice(before.stdout), stderr: out.stderr.slice(before.stderr) };
    },
  };

  function build(options: { stackName: string; region: string | undefined; json: boolean }): CrewContext {
    return createContext({
      ...options,
      clients: {
        ...clients,
        callFunctionUrl: async (url, body) => {
          const call = { url, body };
          urlCalls.push(call);
          return world.answerUrl(call);
        },
      },
      io: {
        stdout: (text) => {
          out.stdout += text;
        },
        stderr: (text) => {
          out.stderr += text;
        },
        confirm: async () => {
          throw new Error('no confirmation is expected here');
        },
        isTTY: false,
        sleep: async () => {},
      },
      now: () => new Date(NOW),
    });
  }
  return world;
}

/** `[command name, input]` for every call a mocked client received, in order: the exact calls a command made. */
export function callsOf(stub: { calls(): { args: readonly unknown[] }[] }): [string, unknown][] {
  return stub.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: unknown };
    return [command.constructor.name, command.input];
  });
}

/** The one JSON document stdout holds, a line of its own (JSON.parse fails on anything else, or nothing). */
export function onlyJsonDocument(stdout: string): unknown {
  if (!stdout.endsWith('}\n')) throw new Error(`stdout is not one JSON document and a newline: ${stdout}`);
  return JSON.parse(stdout);
}
