import { RDSClient } from '@aws-sdk/client-rds';
import { AWS_CLIENT_CONFIG, deferredClient } from '../shared/aws-clients';
import { DATABASE, HEALTH_CHECK_MIN_BACKOFF_MS, HEALTH_CHECKS } from '../shared/config/pre-deployment-validator';
import { workflowHandler } from '../shared/handler';
import { SNAPSHOT_NAMING } from '../shared/rds-names';
import { createBackupTool } from '../tools/backup';
import { createDependencyMonitor } from '../tools/dependency-monitor';
import { createPreDeploymentValidator, preDeploymentRequestSchema } from './agent';

// Read once per execution environment: configuration errors fail the cold start. The RDS client is built by the
// first snapshot action (the health checks and the report call no AWS API), then reused.
const rds = deferredClient(RDSClient, AWS_CLIENT_CONFIG);
const healthChecks = HEALTH_CHECKS.load();
const database = DATABASE.load();

const agent = createPreDeploymentValidator({
  dependencyMonitor: createDependencyMonitor(healthChecks, { minBackoffMs: HEALTH_CHECK_MIN_BACKOFF_MS }),
  backup: createBackupTool(rds, database, { snapshotPrefix: SNAPSHOT_NAMING.load().prefix }),
});

export const handler = workflowHandler(preDeploymentRequestSchema, agent);
