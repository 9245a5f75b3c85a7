import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT_CONFIG } from '../shared/aws-clients';
import { loadApprovalRequestConfig } from '../shared/config/approval-request';
import { workflowHandler } from '../shared/handler';
import { approvalRequestSchema, createApprovalRequester } from './request';

/**
 * The `.waitForTaskToken` task of an approval. Env: TABLE_NAME, TOPIC_ARN, TARGETS (JSON), APPROVAL_URL,
 * APPROVAL_FUNCTION_NAME, AWS_REGION. Clients are built once per container.
 */
const requestApproval = createApprovalRequester({
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient(AWS_CLIENT_CONFIG), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  sns: new SNSClient(AWS_CLIENT_CONFIG),
  config: loadApprovalRequestConfig(),
  clock: () => new Date(),
});

export const handler = workflowHandler(approvalRequestSchema, (request) => requestApproval(request));
