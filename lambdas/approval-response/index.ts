import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import { awsClientConfig } from '../shared/aws-clients';
import { APPROVAL_RESPONSE_SDK_LIMITS, loadApprovalResponseConfig } from '../shared/config/approval-response';
import { workflowHandler } from '../shared/handler';
import { requireEnv } from '../shared/validation';
import { createApprovalResponder } from './respond';

/**
 * The Chairman's answer, through the function URL (AuthType AWS_IAM → HTTP response); a direct invocation is refused
 * (→ error). Env: TABLE_NAME, APPROVERS, ACCOUNT_ID. Clients are built once per container, bounded by
 * APPROVAL_RESPONSE_SDK_LIMITS, which the stack checks against the function's timeout.
 */
const config = loadApprovalResponseConfig();
const clientConfig = awsClientConfig(APPROVAL_RESPONSE_SDK_LIMITS);
const responder = createApprovalResponder({
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  sfn: new SFNClient(clientConfig),
  tableName: config.tableName,
  clock: () => new Date(),
  access: { approvers: config.approvers, accountId: config.accountId, region: requireEnv('AWS_REGION') },
});

/** The event is validated inside: its shape decides between an HTTP answer and a thrown error. */
export const handler = workflowHandler(v.unknown(), (event) => responder.handleEvent(event));
