import * as z from 'zod/mini';
import { approvalKindSchema } from './approval-item';
import { deferred, nonEmptyString } from './validation';

/**
 * What an operator sends the crew's function URLs (the Chairman's answer to an approval, the manual rollback): the
 * functions validate with these, and the `crew` CLI validates with the same schemas before it sends anything.
 */

export const approvalAnswerSchema = deferred(() =>
  z
    .strictObject({
      /** The deployment (= execution) name from the notification. */
      deployment: z.string().check(z.trim(), z.minLength(1), z.maxLength(80)),
      decision: z.enum(['approve', 'reject']),
      /** Required to reject, optional to approve. */
      reason: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(1000))),
      /** Ignored: the function URL's IAM identity is who answers (older e-mails told direct invokers to name one). */
      approver: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(256))),
      /** Which approval; needed when more than one waits, and to approve a DATABASE_ROLLBACK. */
      kind: z.optional(approvalKindSchema),
    })
    .check(
      z.superRefine((answer, ctx) => {
        if (answer.decision === 'reject' && answer.reason === undefined) {
          ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a reason is required to reject' });
        }
      }),
    ),
);
export type ApprovalAnswer = z.output<typeof approvalAnswerSchema>;

export const manualRollbackSchema = z.strictObject({
  /** The deployment (execution name) to roll back: must be the one holding the lock. */
  deployment: nonEmptyString,
  reason: z.string().check(z.trim(), z.minLength(1), z.maxLength(1000)),
  /** Ignored: the function URL's IAM identity is who asks (a direct invocation naming one is refused). */
  requestedBy: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});
export type ManualRollback = z.output<typeof manualRollbackSchema>;
