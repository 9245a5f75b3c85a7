import { Aws, CfnRule, type CfnRuleAssertion, Fn, Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ListenerArnParts } from '../../lambdas/shared/arns';

/**
 * The crew runs in the listener's account and region only. The ALB metrics every verdict reads live in the listener's
 * region (from anywhere else each verdict would be inconclusive), and the listener, the ECS services and the database
 * the roles are scoped to live in its account. A stack whose env is known is checked at synth; an environment-agnostic
 * stack gets a CloudFormation Rule, which fails a deploy elsewhere before any resource is created.
 */
export function guardListenerLocation(
  scope: Construct,
  listener: { readonly listenerArn: string; readonly where: ListenerArnParts },
): void {
  const stack = Stack.of(scope);
  const checks = [
    { what: 'region', actual: stack.region, wanted: listener.where.region, pseudo: Aws.REGION },
    { what: 'account', actual: stack.account, wanted: listener.where.account, pseudo: Aws.ACCOUNT_ID },
  ];
  const assertions: CfnRuleAssertion[] = [];
  for (const { what, actual, wanted, pseudo } of checks) {
    if (Token.isUnresolved(actual)) {
      assertions.push({
        assert: Fn.conditionEquals(pseudo, wanted),
        assertDescription: `DeploymentCrew must be deployed in the listener's ${what} ${wanted} (${listener.listenerArn})`,
      });
    } else if (actual !== wanted) {
      throw new Error(
        `DeploymentCrew: stack '${stack.stackName}' is in ${what} ${actual}, but the listener ${listener.listenerArn} ` +
          `is in ${what} ${wanted}: deploy the stack in ${what} ${wanted}, where the listener, its metrics and ` +
          'the services are',
      );
    }
  }
  if (assertions.length > 0) new CfnRule(scope, 'ListenerLocation', { assertions });
}
