import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT_CONFIG, deferredClient } from '../shared/aws-clients';
import { POST_DEPLOYMENT_VERIFIER_CONFIG } from '../shared/config/post-deployment-verifier';
import { DeploymentCrewError } from '../shared/errors';
import { workflowHandler } from '../shared/handler';
import { createDeploymentLock } from '../tools/deployment-lock';
import { createExecutionHistory } from '../tools/execution-history';
import { createMonitoringCheck } from '../tools/monitoring-setup';
import { cloudWatchProbePublisher, createProbeLedger, createProber } from '../tools/prober';
import { createReportStore } from '../tools/report-store';
import { createRollbackDryRun } from '../tools/rollback-test';
import { createSmokeRunner, secretsManagerReader } from '../tools/test-execution';
import { createTrafficRouter } from '../tools/traffic-router';
import { createPostDeploymentVerifier, verifierRequestSchema } from './agent';

const config = POST_DEPLOYMENT_VERIFIER_CONFIG.load();
// At load, only the lock's client and the probes' Lambda client are built: a probe's failure report to the alarm
// listener is a rollback's path. Each action builds the other clients it calls on first use (the smoke suite reads
// secrets, the dry run ELB/ECS/RDS/IAM, the monitoring check CloudWatch and its logs, the report S3 and Step Functions).
const elb = deferredClient(ElasticLoadBalancingV2Client, AWS_CLIENT_CONFIG);
const secretsClient = deferredClient(SecretsManagerClient, AWS_CLIENT_CONFIG);
const cloudwatch = deferredClient(CloudWatchClient, AWS_CLIENT_CONFIG);
const lambda = new LambdaClient(AWS_CLIENT_CONFIG);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(AWS_CLIENT_CONFIG));
const smokeRunner = () => createSmokeRunner({ secrets: secretsManagerReader(secretsClient) });
/** This function's name, for the prober's continuation (set by the Lambda runtime). */
const ownName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? '';

/** Invokes a function with a JSON payload; a function error is thrown, not returned. */
async function invoke(functionName: string, payload: unknown, invocationType: 'RequestResponse' | 'Event') {
  const output = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: invocationType,
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  const body = output.Payload === undefined ? '' : new TextDecoder().decode(output.Payload);
  if (output.FunctionError !== undefined) {
    throw new DeploymentCrewError('ProbeReportFailed', `${functionName} failed (${output.FunctionError}): ${body}`);
  }
  return body === '' ? null : (JSON.parse(body) as unknown);
}

const verifier = createPostDeploymentVerifier(config, {
  smoke: {
    // A reader per run: secret values live only as long as the run (a rotated secret is read afresh next time).
    runSuite: (steps, target) => smokeRunner().runSuite(steps, target),
  },
  monitoring: createMonitoringCheck({
    cloudwatch,
    logs: deferredClient(CloudWatchLogsClient, AWS_CLIENT_CONFIG),
  }),
  rollbackTest: createRollbackDryRun({
    elb,
    ecs: deferredClient(ECSClient, AWS_CLIENT_CONFIG),
    rds: deferredClient(RDSClient, AWS_CLIENT_CONFIG),
    iam: deferredClient(IAMClient, AWS_CLIENT_CONFIG),
  }),
  lock: createDeploymentLock(ddb, config.tableName, config.lockKey),
  router: createTrafficRouter(elb, config.listenerArn),
  probes: {
    probe: (dimensions, options) =>
      createProber({ runner: smokeRunner(), publisher: cloudWatchProbePublisher(cloudwatch, dimensions) })(options),
    ledger: createProbeLedger(ddb, config.tableName),
    reportProbeFailure: (report) => invoke(config.probe.rollbackTriggerFunctionName, report, 'RequestResponse'),
    continueProbing: async (request) => {
      await invoke(ownName, request, 'Event');
    },
    now: () => Date.now(),
  },
  reports: {
    store: createReportStore(deferredClient(S3Client, AWS_CLIENT_CONFIG), config.report),
    history: createExecutionHistory(deferredClient(SFNClient, AWS_CLIENT_CONFIG)),
    now: () => new Date(),
  },
});

/** PostDeploymentVerifier: smoke suites, the monitoring check, the rollback dry run, probes, the report. */
export const handler = workflowHandler(verifierRequestSchema, (request, context) =>
  verifier(request, { remainingMs: () => context.getRemainingTimeInMillis() }),
);
