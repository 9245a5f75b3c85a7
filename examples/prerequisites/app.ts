#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { DEFAULT_EXAMPLE_STACK_NAME } from './output-keys';
import { PrerequisitesStack } from './prerequisites-stack';

/**
 * The example application DeploymentCrew can be tried on:
 *   npx cdk --app 'npx tsx examples/prerequisites/app.ts' deploy --outputs-file example-outputs.json
 * Optional context: exampleStackName, examplePrefix (resource names), exampleImage (the image the services start with).
 * Environment-agnostic on purpose: it deploys to the CLI's account and region, and the synth needs no lookups (so it
 * writes nothing to the main app's cdk.context.json).
 */
const app = new App();
const text = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new Error(`context ${key}: a non-empty string`);
  return value;
};

new PrerequisitesStack(app, text('exampleStackName') ?? DEFAULT_EXAMPLE_STACK_NAME, {
  description:
    'DeploymentCrew example prerequisites: a weighted ALB listener, two Fargate services, a PostgreSQL instance',
  prefix: text('examplePrefix'),
  image: text('exampleImage'),
});
