import { RDSClient } from '@aws-sdk/client-rds';
import { AWS_CLIENT_CONFIG } from '../shared/aws-clients';
import { workflowHandler } from '../shared/handler';
import { parseJsonEnv } from '../shared/validation';
import { createBackupTool } from '../tools/backup';
import { createDependencyMonitor } from '../tools/dependency-monitor';
import { createPreDeploymentValidator, preDeploymentRequestSchema } from './agent';
import {
  DATABASE_ENV,
  databaseConfigSchema,
  HEALTH_CHECK_MIN_BACKOFF_MS,
  HEALTH_CHECKS_ENV,
  healthChecksConfigSchema,
} from './config';

// Built once per execution environment: configuration errors fail the cold start, the client is reused.
const rds = new RDSClient(AWS_CLIENT_CONFIG);
const healthChecks = parseJsonEnv(HEALTH_CHECKS_ENV, healthChecksConfigSchema);
const database = parseJsonEnv(DATABASE_ENV, databaseConfigSchema);

const agent = createPreDeploymentValidator({
  dependencyMonitor: createDependencyMonitor(healthChecks, { minBackoffMs: HEALTH_CHECK_MIN_BACKOFF_MS }),
  backup: createBackupTool(rds, database),
});

export const handler = workflowHandler(preDeploymentRequestSchema, agent);
