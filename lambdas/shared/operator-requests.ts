import * as v from 'valibot';
import { approvalKindSchema } from './approval-item';
import { crossChecked, nonEmptyString, strictObject } from './validation';

/**
 * What an operator sends the crew's function URLs (the Chairman's answer to an approval, the manual rollback): the
 * functions validate with these, and the `crew` CLI validates with the same schemas before it sends anything.
 */

export const approvalAnswerSchema = crossChecked(
  strictObject({
    /** The deployment (= execution) name from the notification. */
    deployment: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(80)),
    decision: v.picklist(['approve', 'reject']),
    /** Required to reject, optional to approve. */
    reason: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(1000))),
    /** Ignored: the function URL's IAM identity is who answers (older e-mails told direct invokers to name one). */
    approver: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(256))),
    /** Which approval; needed when more than one waits, and to approve a DATABASE_ROLLBACK. */
    kind: v.optional(approvalKindSchema),
  }),
  (answer) =>
    answer.decision === 'reject' && answer.reason === undefined
      ? [{ path: ['reason'], message: 'a reason is required to reject' }]
      : [],
);
export type ApprovalAnswer = v.InferOutput<typeof approvalAnswerSchema>;

export const manualRollbackSchema = strictObject({
  /** The deployment (execution name) to roll back: must be the one holding the lock. */
  deployment: nonEmptyString,
  reason: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(1000)),
  /** Ignored: the function URL's IAM identity is who asks (a direct invocation naming one is refused). */
  requestedBy: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(256))),
});
export type ManualRollback = v.InferOutput<typeof manualRollbackSchema>;
