import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { RDSClient } from '@aws-sdk/client-rds';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseListenerArn } from '../shared/arns';
import { workflowHandler } from '../shared/handler';
import { parseJsonEnv } from '../shared/validation';
import { createDatabaseRestore } from '../tools/database-restore';
import { createDeploymentLock } from '../tools/deployment-lock';
import { createMetricsMonitor } from '../tools/metrics-monitor';
import { createTrafficRouter } from '../tools/traffic-router';
import { coordinatorRequestSchema, createRollbackCoordinator } from './agent';
import { coordinatorConfigSchema } from './config';

const config = parseJsonEnv('COORDINATOR_CONFIG', coordinatorConfigSchema);

const coordinator = createRollbackCoordinator(config, {
  router: createTrafficRouter(new ElasticLoadBalancingV2Client({}), config.listenerArn),
  monitor: createMetricsMonitor(new CloudWatchClient({}), {
    loadBalancerFullName: parseListenerArn(config.listenerArn).loadBalancerFullName,
    database: config.database,
    // Not used for the live error rate; the monitor requires a positive value.
    dbMaxConnections: 1,
  }),
  restore: createDatabaseRestore(new RDSClient({}), config.database, {
    allowedResources: config.allowedRestoreResources,
  }),
  lock: createDeploymentLock(DynamoDBDocumentClient.from(new DynamoDBClient({})), config.tableName, config.lockKey),
});

/** RollbackCoordinator: decision, traffic and database rollback, timeline, summary and escalation runbook. */
export const handler = workflowHandler(coordinatorRequestSchema, (request) => coordinator(request));
