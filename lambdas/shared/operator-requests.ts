import { z } from 'zod';
import { approvalKindSchema } from './approval-item';

/**
 * What an operator sends the crew's function URLs (the Chairman's answer to an approval, the manual rollback): the
 * functions validate with these, and the `crew` CLI validates with the same schemas before it sends anything.
 */

export const approvalAnswerSchema = z
  .strictObject({
    /** The deployment (= execution) name from the notification. */
    deployment: z.string().trim().min(1).max(80),
    decision: z.enum(['approve', 'reject']),
    /** Required to reject, optional to approve. */
    reason: z.string().trim().min(1).max(1000).optional(),
    /** Ignored: the function URL's IAM identity is who answers (older e-mails told direct invokers to name one). */
    approver: z.string().trim().min(1).max(256).optional(),
    /** Which approval; needed when more than one waits, and to approve a DATABASE_ROLLBACK. */
    kind: approvalKindSchema.optional(),
  })
  .superRefine((answer, ctx) => {
    if (answer.decision === 'reject' && answer.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'a reason is required to reject' });
    }
  });
export type ApprovalAnswer = z.output<typeof approvalAnswerSchema>;

export const manualRollbackSchema = z.strictObject({
  /** The deployment (execution name) to roll back: must be the one holding the lock. */
  deployment: z.string().min(1),
  reason: z.string().trim().min(1).max(1000),
  /** Ignored: the function URL's IAM identity is who asks (a direct invocation naming one is refused). */
  requestedBy: z.string().min(1).max(256).optional(),
});
export type ManualRollback = z.output<typeof manualRollbackSchema>;
