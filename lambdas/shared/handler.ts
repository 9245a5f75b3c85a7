import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as v from 'valibot';
import { InvalidInputError, toWorkflowError } from './errors';
import { logger } from './logger';
import { describeIssues } from './validation';

/**
 * Wraps a typed function as a Lambda handler: Powertools logger context (never the raw event, which may carry a task
 * token), schema validation of the event, and errors renamed for the state machine's Retry/Catch.
 */
export function workflowHandler<Schema extends v.GenericSchema, Result>(
  schema: Schema,
  handle: (request: v.InferOutput<Schema>, context: Context) => Promise<Result>,
) {
  return middy<unknown, Result>()
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use({
      onError: async (request) => {
        const error = toWorkflowError(request.error);
        logger.error('request failed', { errorName: error.name, errorMessage: error.message });
        request.error = error;
      },
    })
    .handler(async (event: unknown, context: Context) => {
      const parsed = v.safeParse(schema, event);
      if (!parsed.success) throw new InvalidInputError(describeIssues(parsed.issues));
      return handle(parsed.output, context);
    });
}
