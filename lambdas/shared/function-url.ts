import * as v from 'valibot';
import { matchApprover } from './approvers';
import { DeploymentCrewError, InvalidInputError, toWorkflowError } from './errors';
import { logger } from './logger';
import { describeIssues, nonEmptyString, object } from './validation';

/**
 * The human-facing calls (the Chairman's approval answer and rollback override) come only through Lambda function
 * URLs with AuthType AWS_IAM: the caller's identity is the IAM principal whose signature Lambda checked, and it must
 * be one of the configured approvers, in the stack's account.
 *
 * What this relies on: a function cannot tell a real function URL event from a direct `Invoke` whose payload copies
 * one (there is no field AWS sets that a direct caller cannot write). What makes `requestContext.authorizer.iam`
 * trustworthy is who may invoke directly: the stack grants each approver `lambda:InvokeFunctionUrl` and
 * `lambda:InvokeFunction` only with `lambda:InvokedViaFunctionUrl = true`, and grants no other principal
 * `lambda:InvokeFunction` on these functions (EventBridge's rule only sends CloudWatch alarm events). A principal
 * whose own identity policy allows `lambda:InvokeFunction` on them can still forge a payload: keep that right to
 * break-glass administrators. Here, a payload that claims the URL shape must be complete and consistent (a
 * `<url-id>.lambda-url.<region>.on.aws` domain, an IAM identity in this account, an approver) or it is refused; it
 * never falls back to another kind of request, and a direct invocation never gets a verified identity.
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

/** The caller is not a configured approver of this account, or called without the function URL. HTTP 403. */
export class CallerNotAllowedError extends DeploymentCrewError {
  constructor(message: string) {
    super('CallerNotAllowed', message);
  }
}

/** Who may call: the approvers (IAM role or user ARNs), all in `accountId`; `region` is the function's. */
export interface CallerAccess {
  readonly approvers: readonly string[];
  readonly accountId: string;
  readonly region: string;
}

/** A refused call, as recorded on the deployment and logged: never a verified identity for a direct invocation. */
export interface RefusedCall {
  readonly at: string;
  /** The IAM ARN Lambda put on the URL request, or what a direct invocation claimed (or null). */
  readonly caller: string | null;
  readonly via: 'function-url' | 'direct-invocation';
  readonly why: string;
}

const functionUrlEventSchema = object({
  version: v.literal('2.0'),
  routeKey: v.literal('$default'),
  requestContext: object({
    accountId: nonEmptyString,
    apiId: nonEmptyString,
    domainName: nonEmptyString,
    requestId: nonEmptyString,
    timeEpoch: v.pipe(v.number(), v.finite()),
    http: object({ method: v.string() }),
    authorizer: v.optional(
      object({
        iam: v.optional(object({ userArn: nonEmptyString, accountId: nonEmptyString })),
      }),
    ),
  }),
  body: v.optional(v.string()),
  isBase64Encoded: v.boolean(),
});

/**
 * Anything with a `requestContext` claims to come through the URL: it is answered as an HTTP request (and refused
 * when it does not hold up), never treated as a direct invocation or an alarm event.
 */
export function isFunctionUrlEvent(event: unknown): boolean {
  if (typeof event !== 'object' || event === null || !('requestContext' in event)) return false;
  return event.requestContext !== undefined;
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

/** The body of a refused call, to say on which deployment it is recorded; undefined when unreadable. */
function bodyOrUndefined(body: string | undefined, isBase64Encoded: boolean): unknown {
  try {
    return parseBody(body, isBase64Encoded);
  } catch {
    return undefined;
  }
}

/** Why the verified caller may not call, or undefined when it is an approver of this account. */
export function whyNotAllowed(userArn: string, callerAccount: string, access: CallerAccess): string | undefined {
  if (callerAccount !== access.accountId) {
    return `callers must be in account ${access.accountId}; ${userArn} is in ${callerAccount}`;
  }
  if (matchApprover(userArn, access.approvers, access.accountId) === undefined) {
    return `${userArn} is not one of the configured approvers`;
  }
  return undefined;
}

export interface ServeOptions {
  readonly access: CallerAccess;
  /** Records a refused call on the deployment the body names. Best effort: must not throw. */
  readonly onRefused: (body: unknown, refused: RefusedCall) => Promise<void>;
  readonly clock: () => Date;
}

/**
 * Serves a function URL POST: checks the event, the method and the IAM identity, parses the JSON body, lets only an
 * approver through to `handle` (with the verified identity), and maps errors to HTTP statuses. Only our own error
 * messages go out; anything else could carry internals (or a task token).
 */
export async function serveFunctionUrl<Result>(
  event: unknown,
  statusByError: Readonly<Record<string, number>>,
  options: ServeOptions,
  handle: (body: unknown, identity: string) => Promise<Result>,
): Promise<FunctionUrlResponse> {
  try {
    const parsed = v.safeParse(functionUrlEventSchema, event);
    if (!parsed.success) {
      throw new InvalidInputError(`not a function URL request: ${describeIssues(parsed.issues)}`);
    }
    const { requestContext, body, isBase64Encoded } = parsed.output;
    if (requestContext.domainName !== `${requestContext.apiId}.lambda-url.${options.access.region}.on.aws`) {
      throw new InvalidInputError(`not a function URL request: domain ${requestContext.domainName}`);
    }
    if (requestContext.http.method.toUpperCase() !== 'POST') {
      return httpResponse(405, { error: 'MethodNotAllowed', message: 'use POST' });
    }
    const iam = requestContext.authorizer?.iam;
    if (iam === undefined) {
      throw new UnauthenticatedError('no IAM identity on the request: the function URL must use AuthType AWS_IAM');
    }
    const why = whyNotAllowed(iam.userArn, iam.accountId, options.access);
    if (why !== undefined) {
      const refused: RefusedCall = { at: options.clock().toISOString(), caller: iam.userArn, via: 'function-url', why };
      logger.warn('caller refused', { ...refused });
      await options.onRefused(bodyOrUndefined(body, isBase64Encoded), refused);
      throw new CallerNotAllowedError(`${why}: nothing was done`);
    }
    return httpResponse(200, await handle(parseBody(body, isBase64Encoded), iam.userArn));
  } catch (error) {
    const workflowError = toWorkflowError(error);
    const status = {
      InvalidInput: 400,
      Unauthenticated: 401,
      CallerNotAllowed: 403,
      TransientAwsError: 503,
      ...statusByError,
    }[workflowError.name];
    logger.warn('function URL request refused', { errorName: workflowError.name, statusCode: status ?? 500 });
    const message =
      workflowError instanceof DeploymentCrewError ? workflowError.message : 'internal error: nothing was recorded';
    return httpResponse(status ?? 500, { error: workflowError.name, message });
  }
}

/**
 * A direct invocation asking for what only an approver may do: logged, recorded as claimed (never verified), and
 * refused. The claimed name is whatever the payload says.
 */
export async function refuseDirectInvocation(
  payload: unknown,
  claimed: string | null,
  options: Pick<ServeOptions, 'onRefused' | 'clock'>,
): Promise<never> {
  const why =
    'a direct invocation carries no identity AWS checked: call the function URL, signed with your IAM identity';
  const refused: RefusedCall = { at: options.clock().toISOString(), caller: claimed, via: 'direct-invocation', why };
  logger.warn('caller refused', { ...refused });
  await options.onRefused(payload, refused);
  throw new CallerNotAllowedError(`${why}: nothing was done`);
}
