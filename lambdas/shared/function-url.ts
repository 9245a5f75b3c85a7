import { z } from 'zod';
import { DeploymentCrewError, InvalidInputError, toWorkflowError } from './errors';
import { logger } from './logger';
import { describeZodError } from './validation';

/**
 * The human-facing calls (the Chairman's approval answer and rollback override) come through Lambda function URLs
 * with AuthType AWS_IAM, so the caller's identity is the IAM principal that signed the request. A direct invocation
 * of the same function is accepted too, with a claimed (unverified) identity.
 */

export interface FunctionUrlResponse {
  readonly statusCode: number;
  readonly headers: { readonly 'content-type': 'application/json' };
  readonly body: string;
}

/** A function URL call without an IAM identity (the URL must use AuthType AWS_IAM). HTTP 401. */
export class UnauthenticatedError extends DeploymentCrewError {
  constructor(message: string) {
    super('Unauthenticated', message);
  }
}

const functionUrlEventSchema = z.object({
  requestContext: z.object({
    http: z.object({ method: z.string() }),
    authorizer: z.object({ iam: z.object({ userArn: z.string().min(1) }).optional() }).optional(),
  }),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});

/** Function URL events carry `requestContext.http`; anything else is a direct invocation. */
export function isFunctionUrlEvent(event: unknown): boolean {
  if (typeof event !== 'object' || event === null || !('requestContext' in event)) return false;
  const { requestContext } = event;
  return typeof requestContext === 'object' && requestContext !== null && 'http' in requestContext;
}

export function httpResponse(statusCode: number, body: unknown): FunctionUrlResponse {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function parseBody(body: string | undefined, isBase64Encoded: boolean): unknown {
  if (body === undefined || body === '') throw new InvalidInputError('(body): a JSON body is required');
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidInputError('(body): not valid JSON');
  }
}

/**
 * Serves a function URL POST: checks the method and the IAM identity, parses the JSON body, runs `handle` with the
 * verified identity, and maps errors to HTTP statuses. Only our own error messages go out; anything else could
 * carry internals (or a task token).
 */
export async function serveFunctionUrl<Result>(
  event: unknown,
  statusByError: Readonly<Record<string, number>>,
  handle: (body: unknown, identity: string) => Promise<Result>,
): Promise<FunctionUrlResponse> {
  try {
    const parsed = functionUrlEventSchema.safeParse(event);
    if (!parsed.success) throw new InvalidInputError(describeZodError(parsed.error));
    const request = parsed.data;
    if (request.requestContext.http.method.toUpperCase() !== 'POST') {
      return httpResponse(405, { error: 'MethodNotAllowed', message: 'use POST' });
    }
    const identity = request.requestContext.authorizer?.iam?.userArn;
    if (identity === undefined) {
      throw new UnauthenticatedError('no IAM identity on the request: the function URL must use AuthType AWS_IAM');
    }
    const result = await handle(parseBody(request.body, request.isBase64Encoded === true), identity);
    return httpResponse(200, result);
  } catch (error) {
    const workflowError = toWorkflowError(error);
    const status = { InvalidInput: 400, Unauthenticated: 401, TransientAwsError: 503, ...statusByError }[
      workflowError.name
    ];
    logger.warn('function URL request refused', { errorName: workflowError.name, statusCode: status ?? 500 });
    const message =
      workflowError instanceof DeploymentCrewError ? workflowError.message : 'internal error: nothing was recorded';
    return httpResponse(status ?? 500, { error: workflowError.name, message });
  }
}
