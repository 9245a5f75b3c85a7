import * as v from 'valibot';
import { strictObject } from './validation';

/**
 * The execution input a console user, the AWS CLI or an EventBridge rule hands the state machine. Target resources
 * (listener, target groups, database) are deliberately absent: they come from the stack, so an execution cannot be
 * pointed at anything else. Unknown fields are rejected so that a typo is an error, not a silently ignored option.
 */

/** Limits on options; the state machine enforces nothing beyond what the intake validated. */
export const APPROVAL_TIMEOUT_BOUNDS = { minSeconds: 300, maxSeconds: 7 * 24 * 3600 } as const;
export const BAKE_TIME_BOUNDS = { minSeconds: 60, maxSeconds: 3600 } as const;

const IMAGE_REFERENCE =
  /^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@sha256:[a-f0-9]{64})$/;

export const containerImageSchema = v.pipe(
  v.string(),
  v.maxLength(512),
  v.regex(IMAGE_REFERENCE, 'must be a container image reference with a tag or an @sha256 digest, e.g. repo/app:1.4.0'),
  v.check(
    (image) => IMAGE_REFERENCE.exec(image)?.groups?.tag !== 'latest',
    "the tag 'latest' is mutable: pin a version tag or an @sha256 digest",
  ),
);

export const releaseSchema = strictObject({
  /** The release's version label, used in names, notifications and the report. */
  version: v.pipe(
    v.string(),
    v.regex(
      /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/,
      'must be 1-64 letters, digits, dots, dashes, underscores or plus signs',
    ),
  ),
  /** The release candidate's container image. */
  image: containerImageSchema,
  /** True when the release changes the database schema: migrations run and a database rollback becomes possible. */
  schemaChange: v.boolean(),
  /** Free text for the Chairman and the report. */
  notes: v.optional(v.pipe(v.string(), v.maxLength(2000))),
});

export const deploymentOptionsSchema = strictObject({
  /** How long the Chairman has to answer the approval request; the stack's default applies when absent. */
  approvalTimeoutSeconds: v.optional(
    v.pipe(
      v.pipe(v.number(), v.finite()),
      v.safeInteger(),
      v.minValue(APPROVAL_TIMEOUT_BOUNDS.minSeconds),
      v.maxValue(APPROVAL_TIMEOUT_BOUNDS.maxSeconds),
    ),
  ),
  /** Bake time per canary step for this deployment; the stack's default applies when absent. */
  bakeSeconds: v.optional(
    v.pipe(
      v.number(),
      v.safeInteger(),
      v.minValue(BAKE_TIME_BOUNDS.minSeconds),
      v.maxValue(BAKE_TIME_BOUNDS.maxSeconds),
    ),
  ),
});

export const deploymentRequestSchema = strictObject({
  release: releaseSchema,
  /** Who asked for the deployment (a person or a pipeline), shown to the Chairman and kept in the report. */
  requestedBy: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(256)),
  options: v.optional(deploymentOptionsSchema),
});

export type Release = v.InferOutput<typeof releaseSchema>;
export type DeploymentRequest = v.InferOutput<typeof deploymentRequestSchema>;
