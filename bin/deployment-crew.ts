#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { parseContextConfig } from '../lib/context-config';
import { DeploymentCrewStack } from '../lib/deployment-crew-stack';

const app = new App();
const config = parseContextConfig(app.node.tryGetContext('deploymentCrew'));

new DeploymentCrewStack(app, config.stackName, {
  env: config.env,
  description: 'DeploymentCrew: blue-green releases with Chairman approval, verified backups and automatic rollback',
  crew: config.crew,
  vpcPlacement: config.vpcPlacement,
});

// cdk-nag findings fail the synth; each acknowledgement in lib/ carries its reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
