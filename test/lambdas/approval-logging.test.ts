import { InvalidToken, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ACCOUNT_ID,
  CHAIRMAN_ROLE_ARN,
  fakeLambdaContext,
  fakeTaskToken,
  functionUrlEvent,
  type LocalTable,
  REQUEST_CONFIG,
  startLocalTable,
  startRequest,
  TABLE_NAME,
  TARGETS,
  uniqueDeploymentName,
} from './approval-support';

/**
 * Runs the real handlers (index.ts: module-level clients, config from the environment, middy and the Powertools
 * logger at DEBUG, even asking it to log events) and captures everything written to stdout, stderr and the console:
 * no task token may appear in it, nor in any answer or error.
 */

const snsMock = mockClient(SNSClient);
const sfnMock = mockClient(SFNClient);
let table: LocalTable;

beforeAll(async () => {
  table = await startLocalTable();
  Object.assign(process.env, {
    TABLE_NAME,
    TOPIC_ARN: REQUEST_CONFIG.topicArn,
    TARGETS: JSON.stringify(TARGETS),
    APPROVAL_URL: REQUEST_CONFIG.approvalUrl,
    APPROVAL_FUNCTION_NAME: REQUEST_CONFIG.approvalFunctionName,
    AWS_REGION: 'eu-west-1',
    AWS_ENDPOINT_URL_DYNAMODB: table.endpoint,
    AWS_ACCESS_KEY_ID: 'fake',
    AWS_SECRET_ACCESS_KEY: 'fake',
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_LOGGER_LOG_EVENT: 'true',
    APPROVERS: JSON.stringify([CHAIRMAN_ROLE_ARN]),
    ACCOUNT_ID,
  });
});

afterAll(async () => {
  await table.close();
  snsMock.restore();
  sfnMock.restore();
});

/** Collects every write to stdout/stderr and every console call while `run` runs. */
async function captureOutput(run: () => Promise<void>): Promise<string> {
  const chunks: string[] = [];
  const collect = (...args: unknown[]) => {
    chunks.push(args.map((arg) => (typeof arg === 'string' ? arg : String(arg))).join(' '));
  };
  const writeSpy = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(writeSpy),
    vi.spyOn(process.stderr, 'write').mockImplementation(writeSpy),
    ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(collect),
    ),
  ];
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return chunks.join('\n');
}

describe('task tokens never reach the logs', () => {
  it('keeps every token out of everything the handlers write, return or throw', async () => {
    // Prepare
    const { handler: requestHandler } = await import('../../lambdas/approval-request/index');
    const { handler: responseHandler } = await import('../../lambdas/approval-response/index');
    const requestContext = fakeLambdaContext('ApprovalRequest');
    const responseContext = fakeLambdaContext('ApprovalResponse');
    snsMock.on(PublishCommand).resolves({ MessageId: 'message-1' });
    const approved = uniqueDeploymentName('log-approved');
    const expired = uniqueDeploymentName('log-expired');
    const expiredToken = fakeTaskToken('expired');
    sfnMock
      .on(SendTaskSuccessCommand)
      .resolvesOnce({})
      .rejects(new InvalidToken({ message: `Invalid token: ${expiredToken}`, $metadata: { attempts: 1 } }));
    const results: unknown[] = [];

    // Act
    const output = await captureOutput(async () => {
      results.push(await requestHandler(startRequest(approved, fakeTaskToken('approved')), requestContext));
      results.push(
        await requestHandler({ ...startRequest('bad', fakeTaskToken('invalid')), timeoutSeconds: -1 }, requestContext)
          .then(() => 'no error')
          .catch((error: unknown) => error),
      );
      results.push(
        await responseHandler(functionUrlEvent({ deployment: approved, decision: 'approve' }), responseContext),
      );
      results.push(await requestHandler(startRequest(expired, expiredToken), requestContext));
      results.push(
        await responseHandler(functionUrlEvent({ deployment: expired, decision: 'approve' }), responseContext),
      );
      results.push(
        await responseHandler({ deployment: expired, decision: 'approve', approver: 'jane' }, responseContext)
          .then(() => 'no error')
          .catch((error: unknown) => error),
      );
    });

    // Assess
    expect(output).toContain('approval requested');
    expect(output).toContain('approval answered');
    expect(output).toContain('request failed');
    expect(output).toContain(approved);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input.taskToken)).toEqual([
      fakeTaskToken('approved'),
      expiredToken,
    ]);
    expect(results[1]).toMatchObject({ name: 'InvalidInput' });
    expect(results[4]).toMatchObject({ statusCode: 410 });
    expect(results[5]).toMatchObject({ name: 'CallerNotAllowed' });
    const answers = results.map((result) =>
      result instanceof Error ? `${result.name}: ${result.message}` : JSON.stringify(result),
    );
    expect(output).not.toContain('SECRET-TOKEN');
    expect(answers.join('\n')).not.toContain('SECRET-TOKEN');
  });
});
