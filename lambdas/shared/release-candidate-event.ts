import type * as v from 'valibot';
import { DEPLOYMENT_EVENT_SOURCE } from './deployment-events';
import { deploymentRequestSchema } from './deployment-request';
import { documentedJsonSchema } from './json-schema';

/**
 * The events that start a deployment from EventBridge (lib/release-start-rules.ts builds the rules):
 *
 * - a custom `Release Candidate Ready` event, whose detail is exactly the console's execution input (the intake
 *   unwraps the envelope and validates the detail with the same schema);
 * - optionally, an ECR push (`aws.ecr` / `ECR Image Action`), turned into that input by the rule's input transformer.
 *
 * docs/release-candidate-event.md documents both; docs/release-candidate-event.schema.json is generated from
 * `releaseCandidateDetailSchema` (a test keeps it in step).
 */

/** The custom event's default `source`: not the crew's own `deployment-crew`, so its outcome events never match. */
export const RELEASE_CANDIDATE_EVENT_SOURCE = 'deployment-crew.release';

/** The custom event's `detail-type`. */
export const RELEASE_CANDIDATE_DETAIL_TYPE = 'Release Candidate Ready';

/** The ECR push event (sent by ECR on the account's default bus, best effort). */
export const ECR_EVENT_SOURCE = 'aws.ecr';
export const ECR_IMAGE_ACTION_DETAIL_TYPE = 'ECR Image Action';
export const ECR_PUSH_ACTION = 'PUSH';
export const ECR_SUCCESS_RESULT = 'SUCCESS';

/** `requestedBy` of a deployment an ECR push started starts with this, followed by `<repository>:<tag>`. */
export const ECR_PUSH_REQUESTER_PREFIX = 'ECR push of ';

/**
 * The detail of a `Release Candidate Ready` event: the intake's input schema itself, so that an event that passes
 * it passes the intake, and the documented schema cannot drift from what the intake accepts.
 */
export const releaseCandidateDetailSchema = deploymentRequestSchema;
export type ReleaseCandidateDetail = v.InferInput<typeof releaseCandidateDetailSchema>;

/** Sources PutEvents refuses (`aws.` is AWS's) or that would start a deployment from the crew's own events. */
export function releaseSourceProblem(source: string): string | undefined {
  if (source.startsWith('aws.')) return 'sources starting with "aws." are reserved for AWS services';
  if (source === DEPLOYMENT_EVENT_SOURCE) return `"${DEPLOYMENT_EVENT_SOURCE}" is the source of the crew's own events`;
  if (!/^[A-Za-z0-9._-]{1,256}$/.test(source)) return 'must be 1-256 letters, digits, dots, dashes or underscores';
  return undefined;
}

/** The documented JSON Schema (draft 2020-12) of the detail a sender writes, as the intake accepts it. */
export function releaseCandidateDetailJsonSchema(): Record<string, unknown> {
  const schema = documentedJsonSchema(releaseCandidateDetailSchema, 'input');
  return {
    ...schema,
    title: `${RELEASE_CANDIDATE_DETAIL_TYPE} detail`,
    description:
      `The detail of a "${RELEASE_CANDIDATE_DETAIL_TYPE}" event (source "${RELEASE_CANDIDATE_EVENT_SOURCE}" unless ` +
      'the stack configures another): the same input a console or CLI execution takes. The intake also refuses the ' +
      "image tag 'latest', which a pattern cannot say. See release-candidate-event.md.",
  };
}
