import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseListenerArn } from '../shared/arns';
import { AWS_CLIENT_CONFIG, awsClientConfig, deferredClient } from '../shared/aws-clients';
import { ORCHESTRATOR_CONFIG } from '../shared/config/blue-green-orchestrator';
import { EVENT_PUBLISHER_SDK_LIMITS } from '../shared/deployment-events';
import { workflowHandler } from '../shared/handler';
import { createDeploymentLock } from '../tools/deployment-lock';
import { createEnvironmentProvisioner } from '../tools/environment-provisioner';
import { createEventPublisher } from '../tools/event-publisher';
import { createMetricsMonitor } from '../tools/metrics-monitor';
import { createTrafficRouter } from '../tools/traffic-router';
import { createBlueGreenOrchestrator, orchestratorRequestSchema } from './agent';

const config = ORCHESTRATOR_CONFIG.load();
// At load, only the lock's client is built: nearly every action reads or writes the lock. The others are built by
// the first action that calls them (ECS provisions and migrates, CloudWatch bakes, the listener shifts).
const elb = deferredClient(ElasticLoadBalancingV2Client, AWS_CLIENT_CONFIG);

const orchestrator = createBlueGreenOrchestrator(config, {
  router: createTrafficRouter(elb, config.listenerArn),
  // Short SDK limits: an event is never worth holding a traffic step up for.
  events: createEventPublisher(
    deferredClient(EventBridgeClient, awsClientConfig(EVENT_PUBLISHER_SDK_LIMITS)),
    config.eventBusName,
  ),
  provisioner: createEnvironmentProvisioner({
    ecs: deferredClient(ECSClient, AWS_CLIENT_CONFIG),
    elb,
    clusterName: config.clusterName,
    taskDefinitionFamily: config.taskDefinitionFamily,
  }),
  monitor: createMetricsMonitor(deferredClient(CloudWatchClient, AWS_CLIENT_CONFIG), {
    loadBalancerFullName: parseListenerArn(config.listenerArn).loadBalancerFullName,
    database: config.database,
    dbMaxConnections: config.dbMaxConnections,
  }),
  lock: createDeploymentLock(
    DynamoDBDocumentClient.from(new DynamoDBClient(AWS_CLIENT_CONFIG)),
    config.tableName,
    config.lockKey,
  ),
});

/** BlueGreenOrchestrator: sides, green, migration, canary steps. */
export const handler = workflowHandler(orchestratorRequestSchema, (request) => orchestrator(request));
