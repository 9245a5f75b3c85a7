import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { awsClientConfig } from '../shared/aws-clients';
import { ALARM_LISTENER_SDK_LIMITS, loadRollbackTriggerConfig } from '../shared/config/rollback-trigger';
import { InvalidInputError } from '../shared/errors';
import { isFunctionUrlEvent, serveFunctionUrl } from '../shared/function-url';
import { workflowHandler } from '../shared/handler';
import { logger } from '../shared/logger';
import { describeZodError } from '../shared/validation';
import { createDeploymentLock } from '../tools/deployment-lock';
import { createTrafficRouter } from '../tools/traffic-router';
import { alarmEventSchema, alarmToRequest, createRollbackTrigger, manualRollbackSchema } from './trigger';

/**
 * Invoked by the EventBridge rule on the pipeline's alarms (ALARM state), by the Chairman through the function URL
 * (AWS_IAM: the override, with a verified identity), or by a direct invocation naming `requestedBy`.
 * Env: TABLE_NAME, LOCK_KEY, LISTENER_ARN, ALARM_ROUTES (alarm name → the target group it watches and its trigger).
 * Every client is bounded by ALARM_LISTENER_SDK_LIMITS, which the stack checks against the function's timeout.
 */
const config = loadRollbackTriggerConfig();
const clientConfig = awsClientConfig(ALARM_LISTENER_SDK_LIMITS);
const requestRollback = createRollbackTrigger({
  lock: createDeploymentLock(
    DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    config.tableName,
    config.lockKey,
  ),
  router: createTrafficRouter(new ElasticLoadBalancingV2Client(clientConfig), config.listenerArn),
  sfn: new SFNClient(clientConfig),
  cloudwatch: new CloudWatchClient(clientConfig),
  alarmRoutes: config.alarmRoutes,
});

const STATUS_BY_ERROR = { NoDeploymentInProgress: 404, NotTheDeploymentInProgress: 409, LockLost: 409 };

function parseManual(body: unknown) {
  const parsed = manualRollbackSchema.safeParse(body);
  if (!parsed.success) throw new InvalidInputError(describeZodError(parsed.error));
  return parsed.data;
}

export const handler = workflowHandler(z.unknown(), async (event) => {
  if (isFunctionUrlEvent(event)) {
    return serveFunctionUrl(event, STATUS_BY_ERROR, (body, identity) => {
      const manual = parseManual(body);
      return requestRollback({
        trigger: 'MANUAL',
        deployment: manual.deployment,
        reason: manual.reason,
        requestedBy: identity,
      });
    });
  }
  const alarm = alarmEventSchema.safeParse(event);
  if (alarm.success) {
    const request = alarmToRequest(alarm.data);
    if (request === undefined) {
      logger.info('alarm state change ignored', { alarmName: alarm.data.detail.alarmName });
      return { action: 'ignored', deployment: null, detail: `state ${alarm.data.detail.state.value}` };
    }
    return requestRollback(request);
  }
  const manual = parseManual(event);
  if (manual.requestedBy === undefined) {
    throw new InvalidInputError(
      'requestedBy: required when invoking directly (the function URL takes your IAM identity)',
    );
  }
  return requestRollback({
    trigger: 'MANUAL',
    deployment: manual.deployment,
    reason: manual.reason,
    requestedBy: `${manual.requestedBy} (unverified)`,
  });
});
