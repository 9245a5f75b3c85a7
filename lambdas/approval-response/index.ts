import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { AWS_CLIENT_CONFIG } from '../shared/aws-clients';
import { loadApprovalResponseConfig } from '../shared/config/approval-response';
import { workflowHandler } from '../shared/handler';
import { createApprovalResponder } from './respond';

/**
 * The Chairman's answer, by function URL (AuthType AWS_IAM → HTTP response) or direct invocation (→ object or
 * error). Env: TABLE_NAME. Clients are built once per container.
 */
const responder = createApprovalResponder({
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient(AWS_CLIENT_CONFIG), {
    marshallOptions: { removeUndefinedValues: true },
  }),
  sfn: new SFNClient(AWS_CLIENT_CONFIG),
  tableName: loadApprovalResponseConfig().tableName,
  clock: () => new Date(),
});

/** The event is validated inside: its shape decides between an HTTP answer and a thrown error. */
export const handler = workflowHandler(z.unknown(), (event) => responder.handleEvent(event));
