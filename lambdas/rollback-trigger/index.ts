import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as v from 'valibot';
import { awsClientConfig, deferredClient } from '../shared/aws-clients';
import { ALARM_LISTENER_SDK_LIMITS, loadRollbackTriggerConfig } from '../shared/config/rollback-trigger';
import { InvalidInputError } from '../shared/errors';
import { isFunctionUrlEvent, refuseDirectInvocation, serveFunctionUrl } from '../shared/function-url';
import { workflowHandler } from '../shared/handler';
import { logger } from '../shared/logger';
import { probeFailureReportSchema } from '../shared/probe-failure';
import { describeIssues, requireEnv } from '../shared/validation';
import { createDeploymentLock } from '../tools/deployment-lock';
import { createTrafficRouter } from '../tools/traffic-router';
import { claimedRequester, createOverrideRefusals } from './override';
import { claimsToBeProbeReport, probeToRequest } from './probe';
import { alarmEventSchema, alarmToRequest, createRollbackTrigger, manualRollbackSchema } from './trigger';

/**
 * Invoked by the EventBridge rule on the pipeline's alarms (ALARM state), by the PostDeploymentVerifier's prober
 * (a probe failure report, direct invocation: see probe.ts for who may send one), or by an approver through the
 * function URL (AWS_IAM: the Chairman's override, with a verified identity; see shared/function-url.ts for what that
 * relies on). A direct invocation asking for an override is refused and recorded on the lock with the name it claims.
 * Env: TABLE_NAME, LOCK_KEY, LISTENER_ARN, ALARM_ROUTES (alarm name → the target group it watches and its trigger),
 * APPROVERS, ACCOUNT_ID. Every client is bounded by ALARM_LISTENER_SDK_LIMITS, which the stack checks against the
 * function's timeout. The clients every request calls on its way to traffic back are built at load (Lambda may
 * initialise an environment before any event waits on it); CloudWatch's by its first use.
 */
const config = loadRollbackTriggerConfig();
const clientConfig = awsClientConfig(ALARM_LISTENER_SDK_LIMITS);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), {
  marshallOptions: { removeUndefinedValues: true },
});
const requestRollback = createRollbackTrigger({
  lock: createDeploymentLock(ddb, config.tableName, config.lockKey),
  router: createTrafficRouter(new ElasticLoadBalancingV2Client(clientConfig), config.listenerArn),
  sfn: new SFNClient(clientConfig),
  // Only an alarm event in doubt (late, or an unreadable time) is re-read: most cold starts never build this client.
  cloudwatch: deferredClient(CloudWatchClient, clientConfig),
  alarmRoutes: config.alarmRoutes,
});

const serveOptions = {
  access: { approvers: config.approvers, accountId: config.accountId, region: requireEnv('AWS_REGION') },
  onRefused: createOverrideRefusals(ddb, config.tableName, config.lockKey),
  clock: () => new Date(),
};

const STATUS_BY_ERROR = { NoDeploymentInProgress: 404, NotTheDeploymentInProgress: 409, LockLost: 409 };

function parseManual(body: unknown) {
  const parsed = v.safeParse(manualRollbackSchema, body);
  if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.issues));
  return parsed.output;
}

export const handler = workflowHandler(v.unknown(), async (event) => {
  if (isFunctionUrlEvent(event)) {
    return serveFunctionUrl(event, STATUS_BY_ERROR, serveOptions, (body, identity) => {
      const manual = parseManual(body);
      return requestRollback({
        trigger: 'MANUAL',
        deployment: manual.deployment,
        reason: manual.reason,
        requestedBy: identity,
      });
    });
  }
  const alarm = v.safeParse(alarmEventSchema, event);
  if (alarm.success) {
    const request = alarmToRequest(alarm.output);
    if (request === undefined) {
      logger.info('alarm state change ignored', { alarmName: alarm.output.detail.alarmName });
      return { action: 'ignored', deployment: null, detail: `state ${alarm.output.detail.state.value}` };
    }
    return requestRollback(request);
  }
  if (claimsToBeProbeReport(event)) {
    const report = v.safeParse(probeFailureReportSchema, event);
    if (!report.success) {
      throw new InvalidInputError(`invalid probe failure report: ${describeIssues(report.issues)}`);
    }
    logger.warn('the prober reports green failing', {
      deployment: report.output.deployment,
      firstFailedAt: report.output.firstFailedAt,
      failures: report.output.failures,
    });
    return requestRollback(probeToRequest(report.output));
  }
  // Not an alarm nor a probe report: an override asked for without the URL, whose caller nobody checked.
  parseManual(event);
  return refuseDirectInvocation(event, claimedRequester(event), serveOptions);
});
