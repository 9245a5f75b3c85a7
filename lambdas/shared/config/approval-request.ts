import * as v from 'valibot';
import { nonEmptyString, requireEnv, strictObject } from '../validation';
import { jsonEnvironmentVariable } from './environment';

/**
 * The production resources a deployment touches, as the approval request describes them to the Chairman. The stack
 * builds the `TARGETS` environment value with {@link approvalRequestEnvironment}, the Lambda reads it with
 * {@link loadApprovalRequestConfig}: the two cannot disagree on its shape.
 */
export const targetsConfigSchema = strictObject({
  /** The application load balancer listener whose forward weights move traffic between blue and green. */
  listenerArn: nonEmptyString,
  /** The blue and green target groups behind that listener. */
  targetGroupArns: v.pipe(v.array(nonEmptyString), v.minLength(1)),
  /** The database snapshotted before anything changes (and restored by a database rollback). */
  database: strictObject({
    kind: v.picklist(['instance', 'cluster']),
    identifier: nonEmptyString,
  }),
});
export type TargetsConfig = v.InferOutput<typeof targetsConfigSchema>;
const TARGETS = jsonEnvironmentVariable('TARGETS', targetsConfigSchema);

/** Everything the approval-request Lambda reads from its environment. */
export interface ApprovalRequestConfig {
  /** `TABLE_NAME`: the DeploymentCrew table (pk/sk, TTL on `expiresAt`). */
  readonly tableName: string;
  /** `TOPIC_ARN`: the SNS topic the Chairman is subscribed to. */
  readonly topicArn: string;
  /** `TARGETS`: JSON of {@link TargetsConfig}. */
  readonly targets: TargetsConfig;
  /** `APPROVAL_URL`: the approval-response function URL (AuthType AWS_IAM). */
  readonly approvalUrl: string;
  /** `APPROVAL_FUNCTION_NAME`: the approval-response function's name, for `aws lambda invoke`. */
  readonly approvalFunctionName: string;
  /** `AWS_REGION` (set by Lambda): the signing region of the `curl --aws-sigv4` command. */
  readonly region: string;
}

/** The approval-request function's environment (AWS_REGION is Lambda's own); TARGETS is checked against its schema. */
export function approvalRequestEnvironment(config: Omit<ApprovalRequestConfig, 'region'>): Record<string, string> {
  return {
    TABLE_NAME: config.tableName,
    TOPIC_ARN: config.topicArn,
    ...TARGETS.environment(config.targets),
    APPROVAL_URL: config.approvalUrl,
    APPROVAL_FUNCTION_NAME: config.approvalFunctionName,
  };
}

/** Reads the approval-request configuration from the environment; throws on the cold start when anything is off. */
export function loadApprovalRequestConfig(): ApprovalRequestConfig {
  return {
    tableName: requireEnv('TABLE_NAME'),
    topicArn: requireEnv('TOPIC_ARN'),
    targets: TARGETS.load(),
    approvalUrl: requireEnv('APPROVAL_URL'),
    approvalFunctionName: requireEnv('APPROVAL_FUNCTION_NAME'),
    region: requireEnv('AWS_REGION'),
  };
}
