import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseContextConfig } from '../../lib/context-config';
import { DeploymentCrewStack } from '../../lib/deployment-crew-stack';
import { sampleContext } from '../support/sample-stack';

/** The sample crew (listener in eu-west-1, account 123456789012) in a stack with another env, as bin/ builds it. */
function buildWithEnv(env: { account?: string; region?: string } | undefined) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const config = parseContextConfig(sampleContext());
  return new DeploymentCrewStack(app, config.stackName, { ...(env === undefined ? {} : { env }), crew: config.crew });
}

const LISTENER_ARN = parseContextConfig(sampleContext()).crew.listenerArn;

/** The template's Rules except the bootstrap-version check the CDK adds to every stack. */
function crewRules(stack: DeploymentCrewStack): Record<string, unknown> {
  const rules = (Template.fromStack(stack).toJSON() as { Rules?: Record<string, unknown> }).Rules ?? {};
  return Object.fromEntries(Object.entries(rules).filter(([id]) => id !== 'CheckBootstrapVersion'));
}

describe('the listener location guard', () => {
  it("refuses at synth a stack in another region than the listener's, naming both", () => {
    // Prepare
    const env = { account: '123456789012', region: 'us-east-1' };

    // Act
    const act = () => buildWithEnv(env);

    // Assess
    expect(act).toThrow(
      `DeploymentCrew: stack 'DeploymentCrew' is in region us-east-1, but the listener ${LISTENER_ARN} is in region ` +
        'eu-west-1: deploy the stack in region eu-west-1, where the listener, its metrics and the services are',
    );
  });

  it("refuses at synth a stack in another account than the listener's, naming both", () => {
    // Prepare
    const env = { account: '210987654321', region: 'eu-west-1' };

    // Act
    const act = () => buildWithEnv(env);

    // Assess
    expect(act).toThrow(
      /stack 'DeploymentCrew' is in account 210987654321, but the listener .* is in account 123456789012/,
    );
  });

  it('gives an environment-agnostic stack a Rule that fails a deploy outside the listener region and account', () => {
    // Prepare
    const env = undefined;

    // Act
    const stack = buildWithEnv(env);

    // Assess
    const rules = crewRules(stack);
    expect(Object.keys(rules)).toHaveLength(1);
    expect(Object.values(rules)[0]).toEqual({
      Assertions: [
        {
          Assert: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
          AssertDescription: `DeploymentCrew must be deployed in the listener's region eu-west-1 (${LISTENER_ARN})`,
        },
        {
          Assert: { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '123456789012'] },
          AssertDescription: `DeploymentCrew must be deployed in the listener's account 123456789012 (${LISTENER_ARN})`,
        },
      ],
    });
  });

  it('asserts only what the env leaves open: the account of a stack pinned to the right region', () => {
    // Prepare
    const env = { region: 'eu-west-1' };

    // Act
    const stack = buildWithEnv(env);

    // Assess
    const [rule] = Object.values(crewRules(stack)) as { Assertions: { Assert: unknown }[] }[];
    expect(rule?.Assertions.map((assertion) => assertion.Assert)).toEqual([
      { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '123456789012'] },
    ]);
  });

  it("adds no Rule to a stack in the listener's account and region (the app's default)", () => {
    // Prepare
    const env = { account: '123456789012', region: 'eu-west-1' };

    // Act
    const stack = buildWithEnv(env);

    // Assess
    expect(crewRules(stack)).toEqual({});
  });
});
