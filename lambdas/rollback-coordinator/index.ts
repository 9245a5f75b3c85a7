import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { RDSClient } from '@aws-sdk/client-rds';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseListenerArn } from '../shared/arns';
import { AWS_CLIENT_CONFIG, awsClientConfig, deferredClient } from '../shared/aws-clients';
import { COORDINATOR_CONFIG } from '../shared/config/rollback-coordinator';
import { EVENT_PUBLISHER_SDK_LIMITS } from '../shared/deployment-events';
import { workflowHandler } from '../shared/handler';
import { createDatabaseRestore, ec2SecurityGroups, kmsKeyManager } from '../tools/database-restore';
import { createDeploymentLock } from '../tools/deployment-lock';
import { createEventPublisher } from '../tools/event-publisher';
import { createMetricsMonitor } from '../tools/metrics-monitor';
import { createTrafficRouter } from '../tools/traffic-router';
import { coordinatorRequestSchema, createRollbackCoordinator } from './agent';

const config = COORDINATOR_CONFIG.load();

// The listener's, the lock's and the events' clients are built at load: restoring traffic is the rollback's critical
// path. CloudWatch (the live side's check) and the database restore's clients are built by their first use.
const coordinator = createRollbackCoordinator(config, {
  router: createTrafficRouter(new ElasticLoadBalancingV2Client(AWS_CLIENT_CONFIG), config.listenerArn),
  monitor: createMetricsMonitor(deferredClient(CloudWatchClient, AWS_CLIENT_CONFIG), {
    loadBalancerFullName: parseListenerArn(config.listenerArn).loadBalancerFullName,
    database: config.database,
    // Not used for the live error rate; the monitor requires a positive value.
    dbMaxConnections: 1,
  }),
  restore: createDatabaseRestore(deferredClient(RDSClient, AWS_CLIENT_CONFIG), config.database, {
    allowedResources: config.allowedRestoreResources,
    ...config.restore,
    keyManagerOf: kmsKeyManager(deferredClient(KMSClient, AWS_CLIENT_CONFIG)),
    securityGroupsOf: ec2SecurityGroups(deferredClient(EC2Client, AWS_CLIENT_CONFIG)),
  }),
  lock: createDeploymentLock(
    DynamoDBDocumentClient.from(new DynamoDBClient(AWS_CLIENT_CONFIG)),
    config.tableName,
    config.lockKey,
  ),
  // Short SDK limits: an event is never worth holding a rollback step up for.
  events: createEventPublisher(new EventBridgeClient(awsClientConfig(EVENT_PUBLISHER_SDK_LIMITS)), config.eventBusName),
});

/** RollbackCoordinator: decision, traffic and database rollback, timeline, summary and escalation runbook. */
export const handler = workflowHandler(coordinatorRequestSchema, (request) => coordinator(request));
