import { rmSync } from 'node:fs';
import type { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ORCHESTRATOR_CONFIG } from '../../lambdas/shared/config/blue-green-orchestrator';
import { POST_DEPLOYMENT_VERIFIER_CONFIG } from '../../lambdas/shared/config/post-deployment-verifier';
import { buildSampleStack } from '../support/sample-stack';

/**
 * The deployment report records the thresholds the verdicts were judged against, and its chart draws them: the
 * verifier (which writes the report) must get the stack's thresholds, the very ones the orchestrator judges with.
 */

const outdirs: string[] = [];

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});

afterAll(() => {
  vi.unstubAllEnvs();
  for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
});

/** A CloudFormation value as text: a reference (a Ref, a GetAtt) as a placeholder, a Fn::Join joined. */
function rendered(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join === undefined ? 'resolved-name' : join[1].map(rendered).join(join[0]);
}

/** A function's environment in the template, as it will be once deployed (names as placeholders). */
function environmentOf(stack: Stack, fn: lambda.IFunction): Record<string, string> {
  const id = stack.getLogicalId(fn.node.defaultChild as CfnElement);
  const variables = Template.fromStack(stack).toJSON().Resources[id]?.Properties.Environment.Variables;
  return Object.fromEntries(
    Object.entries(variables as Record<string, unknown>).map(([name, value]) => [name, rendered(value)]),
  );
}

describe('PostDeploymentVerifier template: the thresholds', () => {
  it("hands the verifier the stack's configured thresholds, the same the orchestrator judges with", () => {
    // Prepare: none of them the default.
    const thresholds = {
      errorRatePercent: 3,
      errorRateBreachPeriods: 3,
      promoteErrorRatePercent: 0.5,
      p95LatencyMs: 750,
      dbConnectionsPercent: 70,
      loadBalancerErrorBaselinePercent: 0.2,
    };
    const { app, stack } = buildSampleStack({ thresholds });
    outdirs.push(app.outdir);
    const { postDeploymentVerifier, orchestrator: blueGreen } = stack.crew;

    // Act: each configuration read back as its function reads it.
    const verifier = POST_DEPLOYMENT_VERIFIER_CONFIG.read(environmentOf(stack, postDeploymentVerifier.function));
    const json = environmentOf(stack, blueGreen.function)[ORCHESTRATOR_CONFIG.name] ?? '';
    const orchestrator = v.parse(ORCHESTRATOR_CONFIG.schema, JSON.parse(json));

    // Assess
    expect(verifier.thresholds).toEqual(thresholds);
    expect(orchestrator.thresholds).toEqual(verifier.thresholds);
  });
});
