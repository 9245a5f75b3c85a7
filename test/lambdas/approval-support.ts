import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { ApprovalRequest } from '../../lambdas/approval-request/request';
import type { createApprovalResponder } from '../../lambdas/approval-response/respond';
import {
  APPROVAL_ITEM_RETENTION_SECONDS,
  type ApprovalItem,
  approvalItemSchema,
  approvalKey,
} from '../../lambdas/shared/approval-item';
import type { ApprovalRequestConfig, TargetsConfig } from '../../lambdas/shared/config/approval-request';
import type { ApprovalKind, DeploymentRef } from '../../lambdas/shared/contracts';
import type { Release } from '../../lambdas/shared/deployment-request';
import type { CallerAccess } from '../../lambdas/shared/function-url';
import { type LocalDocumentDynamo, STATE_TABLE_NAME, startLocalDocumentDynamo } from '../support/dynalite';

/** Shared fixtures of the approval tests: a dynalite table shaped like the stack's, and sample requests. */

export const TABLE_NAME = STATE_TABLE_NAME;
export const NOW = new Date('2026-11-24T10:00:00.000Z');
export const fixedClock = (): Date => new Date(NOW);

export const TARGETS: TargetsConfig = {
  listenerArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2',
  targetGroupArns: [
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067',
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/a1b2c3d4e5f60718',
  ],
  database: { kind: 'instance', identifier: 'shop-prod-db' },
};

export const REQUEST_CONFIG: ApprovalRequestConfig = {
  tableName: TABLE_NAME,
  topicArn: 'arn:aws:sns:eu-west-1:123456789012:DeploymentCrewChairman',
  targets: TARGETS,
  approvalUrl: 'https://abcdefghijklmnop.lambda-url.eu-west-1.on.aws/',
  approvalFunctionName: 'DeploymentCrew-ApprovalResponse',
  region: 'eu-west-1',
};

export const RELEASE: Release = {
  version: '1.4.0',
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0',
  schemaChange: true,
  notes: 'Adds gift cards.',
};

export function deploymentRef(name: string): DeploymentRef {
  return {
    name,
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:${name}`,
    startedAt: '2026-11-24T09:59:00.000Z',
  };
}

/** The START request the state machine sends the approval-request Lambda for deployment `name`. */
export function startRequest(name: string, token: string): ApprovalRequest {
  return {
    taskToken: token,
    kind: 'START',
    deployment: deploymentRef(name),
    release: RELEASE,
    requestedBy: 'release-pipeline',
    timeoutSeconds: 3600,
  };
}

/** A token that looks like a real one and is easy to search for in captured output. */
export function fakeTaskToken(label: string): string {
  return `AQCEAAAAKgAAAAMAAAAAAAAAA${label}SECRET-TOKEN-${'x'.repeat(200)}`;
}

let uniqueCounter = 0;
/** A fresh deployment name per test, so tests sharing a table never see each other's items. */
export function uniqueDeploymentName(prefix: string): string {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}-${Date.now().toString(36)}`;
}

export type LocalTable = LocalDocumentDynamo;

/** Starts dynalite with the crew table, and a document client that drops undefined values as the approval Lambdas' do. */
export function startLocalTable(): Promise<LocalTable> {
  return startLocalDocumentDynamo({ marshallOptions: { removeUndefinedValues: true } });
}

/** A PENDING START approval item as the approval-request Lambda writes it (not stored). */
export function seedItem(name: string, token: string): ApprovalItem {
  return approvalItemOf({ name, token });
}

/** Writes an approval item the way the approval-request Lambda does. */
export async function seedApproval(
  ddb: DynamoDBDocumentClient,
  options: { name: string; kind?: ApprovalKind; token: string; status?: ApprovalItem['status']; requestedAt?: string },
): Promise<ApprovalItem> {
  const item = approvalItemOf(options);
  await ddb.send(new PutCommand({ TableName: TABLE_NAME, Item: item }));
  return item;
}

function approvalItemOf(options: {
  name: string;
  kind?: ApprovalKind;
  token: string;
  status?: ApprovalItem['status'];
  requestedAt?: string;
}): ApprovalItem {
  const kind = options.kind ?? 'START';
  const requestedAt = options.requestedAt ?? NOW.toISOString();
  const timeoutSeconds = 3600;
  const item: ApprovalItem = {
    ...approvalKey(options.name, kind),
    taskToken: options.token,
    status: options.status ?? 'PENDING',
    kind,
    deploymentName: options.name,
    executionArn: deploymentRef(options.name).executionArn,
    requestedAt,
    deadline: new Date(Date.parse(requestedAt) + timeoutSeconds * 1000).toISOString(),
    timeoutSeconds,
    expiresAt: Math.floor(Date.parse(requestedAt) / 1000) + timeoutSeconds + APPROVAL_ITEM_RETENTION_SECONDS,
    releaseVersion: RELEASE.version,
    requestedBy: 'release-pipeline',
  };
  return item;
}

export async function readApproval(
  ddb: DynamoDBDocumentClient,
  name: string,
  kind: ApprovalKind = 'START',
): Promise<Record<string, unknown> | undefined> {
  const result = await ddb.send(
    new GetCommand({ TableName: TABLE_NAME, Key: approvalKey(name, kind), ConsistentRead: true }),
  );
  return result.Item;
}

export async function readParsedApproval(
  ddb: DynamoDBDocumentClient,
  name: string,
  kind: ApprovalKind = 'START',
): Promise<ApprovalItem> {
  return v.parse(approvalItemSchema, await readApproval(ddb, name, kind));
}

/** A Lambda context good enough for the Powertools middleware. */
export function fakeLambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/24/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 20_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export const ACCOUNT_ID = '123456789012';
/** The Chairman's role as configured among the approvers, and a session of it as it signs an answer. */
export const CHAIRMAN_ROLE_ARN = `arn:aws:iam::${ACCOUNT_ID}:role/Chairman`;
export const CHAIRMAN_ARN = `arn:aws:sts::${ACCOUNT_ID}:assumed-role/Chairman/jane`;
export const DEPUTY_ARN = `arn:aws:iam::${ACCOUNT_ID}:user/deputy`;
export const ACCESS: CallerAccess = {
  approvers: [CHAIRMAN_ROLE_ARN, DEPUTY_ARN],
  accountId: ACCOUNT_ID,
  region: 'eu-west-1',
};
/** The function URL's id: its domain is `<id>.lambda-url.<region>.on.aws`. */
export const FUNCTION_URL_ID = 'abcdefghijklmnop';

export interface FunctionUrlEventOptions {
  /** Send the body base64-encoded, as Lambda does for some content types. @default false */
  readonly base64?: boolean;
  /** @default 'POST' */
  readonly method?: string;
  /** The signing caller's account. @default ACCOUNT_ID */
  readonly callerAccount?: string;
}

/**
 * A function URL event as Lambda builds it for a SigV4-signed request by `userArn` (`null`: unsigned, no IAM
 * authorizer).
 */
export function functionUrlEvent(
  body: unknown,
  userArn: string | null = CHAIRMAN_ARN,
  options: FunctionUrlEventOptions = {},
) {
  const text = JSON.stringify(body);
  const callerAccount = options.callerAccount ?? ACCOUNT_ID;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    requestContext: {
      accountId: callerAccount,
      apiId: FUNCTION_URL_ID,
      domainName: `${FUNCTION_URL_ID}.lambda-url.eu-west-1.on.aws`,
      http: {
        method: options.method ?? 'POST',
        path: '/',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'curl',
      },
      requestId: 'request-1',
      routeKey: '$default',
      stage: '$default',
      time: '24/Nov/2026:10:00:00 +0000',
      timeEpoch: NOW.getTime(),
      ...(userArn === null
        ? {}
        : { authorizer: { iam: { accessKey: 'ASIA…', accountId: callerAccount, userArn, userId: 'AROA…:jane' } } }),
    },
    body: options.base64 ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: options.base64 === true,
  };
}

export interface ApprovalResponderFixtureOptions {
  /** Who may answer. @default ACCESS */
  readonly access?: CallerAccess;
}

/**
 * Registers the hooks of a test file that answers approvals against a dynalite table with Step Functions mocked
 * (both SendTask* calls succeed unless a test says otherwise), and returns what its tests use.
 */
export function useApprovalResponder(options: ApprovalResponderFixtureOptions = {}) {
  const access = options.access ?? ACCESS;
  const sfnMock = mockClient(SFNClient);
  let started: LocalTable | undefined;
  let create: typeof createApprovalResponder | undefined;

  beforeAll(async () => {
    // Loaded here, not when this file is imported: the logger reads its level when first loaded, and
    // approval-logging.test.ts sets it before it loads the handlers.
    const { logger } = await import('../../lambdas/shared/logger');
    logger.setLogLevel('SILENT');
    ({ createApprovalResponder: create } = await import('../../lambdas/approval-response/respond'));
    started = await startLocalTable();
  });

  afterAll(async () => {
    await started?.close();
    sfnMock.restore();
  });

  beforeEach(() => {
    sfnMock.reset();
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    sfnMock.on(SendTaskFailureCommand).resolves({});
  });

  function table(): LocalTable {
    if (started === undefined) throw new Error('the local table starts in beforeAll: use it inside a test');
    return started;
  }

  function responder(clock: () => Date = fixedClock) {
    if (create === undefined) throw new Error('the responder loads in beforeAll: use it inside a test');
    return create({ ddb: table().ddb, sfn: new SFNClient({}), tableName: TABLE_NAME, clock, access });
  }

  return { sfnMock, table, responder };
}
