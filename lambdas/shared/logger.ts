import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One Powertools logger per Lambda module. The service name comes from `POWERTOOLS_SERVICE_NAME`, set by the
 * construct. Events are never logged whole: they can carry Step Functions task tokens.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'deployment-crew' });
