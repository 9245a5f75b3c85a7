import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { IAMClient } from '@aws-sdk/client-iam';
import { RDSClient } from '@aws-sdk/client-rds';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AWS_CLIENT_CONFIG } from '../shared/aws-clients';
import { POST_DEPLOYMENT_VERIFIER_CONFIG } from '../shared/config/post-deployment-verifier';
import { workflowHandler } from '../shared/handler';
import { createDeploymentLock } from '../tools/deployment-lock';
import { createMonitoringCheck } from '../tools/monitoring-setup';
import { createRollbackDryRun } from '../tools/rollback-test';
import { createSmokeRunner, secretsManagerReader } from '../tools/test-execution';
import { createTrafficRouter } from '../tools/traffic-router';
import { createPostDeploymentVerifier, verifierRequestSchema } from './agent';

const config = POST_DEPLOYMENT_VERIFIER_CONFIG.load();
const elb = new ElasticLoadBalancingV2Client(AWS_CLIENT_CONFIG);
const secretsClient = new SecretsManagerClient(AWS_CLIENT_CONFIG);

const verifier = createPostDeploymentVerifier(config, {
  smoke: {
    // A reader per run: secret values live only as long as the run (a rotated secret is read afresh next time).
    runSuite: (steps, target) =>
      createSmokeRunner({ secrets: secretsManagerReader(secretsClient) }).runSuite(steps, target),
  },
  monitoring: createMonitoringCheck({
    cloudwatch: new CloudWatchClient(AWS_CLIENT_CONFIG),
    logs: new CloudWatchLogsClient(AWS_CLIENT_CONFIG),
  }),
  rollbackTest: createRollbackDryRun({
    elb,
    ecs: new ECSClient(AWS_CLIENT_CONFIG),
    rds: new RDSClient(AWS_CLIENT_CONFIG),
    iam: new IAMClient(AWS_CLIENT_CONFIG),
  }),
  lock: createDeploymentLock(
    DynamoDBDocumentClient.from(new DynamoDBClient(AWS_CLIENT_CONFIG)),
    config.tableName,
    config.lockKey,
  ),
  router: createTrafficRouter(elb, config.listenerArn),
});

/** PostDeploymentVerifier: smoke suites, the monitoring check, the rollback dry run. */
export const handler = workflowHandler(verifierRequestSchema, (request) => verifier(request));
