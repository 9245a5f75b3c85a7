import * as v from 'valibot';
import type { ApprovalKind } from '../../lambdas/shared/contracts';
import { type ApprovalAnswer, approvalAnswerSchema } from '../../lambdas/shared/operator-requests';
import { describeIssues } from '../../lambdas/shared/validation';
import type { CommandResult, CrewContext } from '../context';
import { commonRefusal, describeDeployment, refusalOf } from '../deployments';
import { CrewError } from '../errors';

/**
 * `crew approve` / `crew reject`: the Chairman's answer to the approval waiting for a deployment (the start, or the
 * database-rollback confirmation), through the approval function URL signed with the caller's credentials: the
 * function records the caller's verified IAM identity as the approver. The task token never leaves AWS.
 */

export interface AnswerOptions {
  readonly deployment: string;
  readonly decision: 'approve' | 'reject';
  readonly reason?: string;
  readonly kind?: ApprovalKind;
}

export async function answer(context: CrewContext, options: AnswerOptions): Promise<CommandResult> {
  const parsed = v.safeParse(approvalAnswerSchema, {
    deployment: options.deployment,
    decision: options.decision,
    ...(options.reason === undefined ? {} : { reason: options.reason }),
    ...(options.kind === undefined ? {} : { kind: options.kind }),
  });
  if (!parsed.success) throw new CrewError('USAGE', describeIssues(parsed.issues), 'nothing was sent');
  const body: ApprovalAnswer = parsed.output;
  const execution = await describeDeployment(context, body.deployment);
  if (execution.status !== 'RUNNING') {
    throw new CrewError(
      'NOTHING_WAITING',
      `deployment ${body.deployment} is ${execution.status ?? 'not running'}: nothing waits for an answer`,
    );
  }
  const { approvalUrl } = await context.stack();
  const reply = await context.clients.callFunctionUrl(approvalUrl, body);
  if (reply.status !== 200) throw refusal(reply, body);
  const result = reply.body as {
    kind?: string;
    approver?: { identity?: string };
    answeredAt?: string;
    delivery?: string;
  };
  const verb = body.decision === 'approve' ? 'Approved' : 'Rejected';
  return {
    json: reply.body,
    human: [
      `${verb} ${result.kind ?? 'the approval'} of ${body.deployment} as ${result.approver?.identity ?? 'you'} at ${result.answeredAt ?? '?'}`,
      ...(result.delivery === undefined ? [] : [`  delivery: ${result.delivery}`]),
      `  follow it: crew status ${body.deployment} --watch`,
    ],
  };
}

function refusal(reply: Parameters<typeof refusalOf>[0], body: ApprovalAnswer): CrewError {
  const { error, message } = refusalOf(reply);
  switch (error) {
    case 'NothingToApprove':
      return new CrewError('NOTHING_WAITING', `nothing waits for an answer on ${body.deployment}: ${message}`);
    case 'ApprovalExpired':
      return new CrewError('TOKEN_EXPIRED', `the approval of ${body.deployment} has expired: ${message}`);
    case 'ApprovalKindRequired':
      return new CrewError('USAGE', message, 'say which with --kind START or --kind DATABASE_ROLLBACK');
    case 'ApprovalConflict':
      return new CrewError('REFUSED', `${error}: ${message}`, 'another answer was being recorded: try again');
    case 'CallerNotAllowed':
      return new CrewError('NOT_AN_APPROVER', message, "the stack's approvers (prop approvers) may answer");
    default:
      return commonRefusal(reply, 'approval');
  }
}
