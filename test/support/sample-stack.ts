import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseContextConfig } from '../../lib/context-config';
import { DeploymentCrewStack } from '../../lib/deployment-crew-stack';

function cdkJsonContext(): Record<string, unknown> & { deploymentCrew: Record<string, unknown> } {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown> & { deploymentCrew: Record<string, unknown> };
  };
  return cdkJson.context;
}

/** The sample `deploymentCrew` context shipped in cdk.json: what a new user synthesizes first. */
export function sampleContext(): Record<string, unknown> {
  return structuredClone(cdkJsonContext().deploymentCrew);
}

/** cdk.json's feature flags: the template tests synthesize with the same flags `cdk synth` uses. */
export function featureFlags(): Record<string, unknown> {
  const { deploymentCrew: _sample, ...flags } = cdkJsonContext();
  return flags;
}

/**
 * Overrides that turn the sample into the Aurora variant: a DB cluster instead of the instance, with the groups an
 * Aurora restore re-uses (a cluster parameter group besides the members' one, no option group).
 */
export function auroraOverrides(): Record<string, unknown> {
  return {
    database: { clusterIdentifier: 'shop-aurora' },
    databaseRestore: {
      subnetGroupName: 'shop-aurora-subnets',
      parameterGroupNames: ['shop-aurora-instances'],
      clusterParameterGroupNames: ['shop-aurora-cluster'],
    },
  };
}

/**
 * Builds the stack the way bin/ does, without bundling (no esbuild run per test) and optionally with cdk-nag.
 */
export function buildSampleStack(overrides: Record<string, unknown> = {}, options: { nag?: boolean } = {}) {
  const app = new App({ context: { ...featureFlags(), 'aws:cdk:bundling-stacks': [] } });
  const config = parseContextConfig({ ...sampleContext(), ...overrides });
  const stack = new DeploymentCrewStack(app, config.stackName, {
    env: config.env,
    crew: config.crew,
    vpcPlacement: config.vpcPlacement,
  });
  if (options.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, template: () => Template.fromStack(stack) };
}
