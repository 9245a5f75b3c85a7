import { DescribeExecutionCommand, type DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { CrewContext } from './context';
import { CrewError, fromAwsError, nameOf } from './errors';
import type { FunctionUrlAnswer } from './function-url';

/** Deployments are executions of the stack's state machine, named by the deployment. */

/** `arn:aws:states:<region>:<account>:stateMachine:<machine>` → `...:execution:<machine>:<name>`. */
export function executionArnOf(stateMachineArn: string, deployment: string): string {
  const parts = stateMachineArn.split(':');
  if (parts.length !== 7 || parts[5] !== 'stateMachine') throw new Error(`not a state machine ARN: ${stateMachineArn}`);
  return [...parts.slice(0, 5), 'execution', parts[6], deployment].join(':');
}

/** The deployment's execution; UNKNOWN_DEPLOYMENT when this stack's state machine never ran one by that name. */
export async function describeDeployment(
  context: CrewContext,
  deployment: string,
): Promise<DescribeExecutionCommandOutput> {
  const { stateMachineArn } = await context.stack();
  try {
    return await context.clients.sfn.send(
      new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, deployment) }),
    );
  } catch (error) {
    // InvalidArn: the name cannot be an execution name (a space, a slash), so no such deployment can exist either.
    if (nameOf(error) === 'ExecutionDoesNotExist' || nameOf(error) === 'InvalidArn') {
      throw new CrewError(
        'UNKNOWN_DEPLOYMENT',
        `no deployment named '${deployment}' in stack ${context.stackName}`,
        'crew history lists the deployments',
      );
    }
    throw fromAwsError(error, context.region);
  }
}

/** The crew's function URLs answer `{ error, message }` on a refusal (lambdas/shared/function-url.ts). */
export function refusalOf(answer: FunctionUrlAnswer): { error: string; message: string } {
  const body = answer.body;
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const { error, message } = body as { error: unknown; message?: unknown };
    return { error: String(error), message: typeof message === 'string' ? message : String(error) };
  }
  // The URL's own IAM check answers 403 {"Message":"Forbidden"} before the function runs.
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { error: answer.status === 403 ? 'Forbidden' : `HTTP ${answer.status}`, message: text };
}

/** What a refusal the URL answered means for every command that calls one (the rest are the command's own). */
export function commonRefusal(answer: FunctionUrlAnswer, what: string): CrewError {
  const { error, message } = refusalOf(answer);
  if (answer.status === 401 || answer.status === 403) {
    return new CrewError(
      'NOT_AN_APPROVER',
      error === 'Forbidden'
        ? `your IAM identity may not call the ${what} URL (lambda:InvokeFunctionUrl denied)`
        : `refused: ${message}`,
      "the stack's approvers (prop approvers) may do this; check `aws sts get-caller-identity`",
    );
  }
  if (answer.status === 429) {
    return new CrewError(
      'AWS_ERROR',
      `the ${what} URL is throttled: ${message}`,
      'nothing was done: try again shortly',
    );
  }
  if (answer.status === 400) return new CrewError('USAGE', `${error}: ${message}`);
  if (answer.status >= 500)
    return new CrewError('AWS_ERROR', `the ${what} function failed (${error}): ${message}`, 'try again');
  return new CrewError('REFUSED', `${error}: ${message}`);
}
