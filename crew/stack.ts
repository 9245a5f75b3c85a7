import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS, type StackOutputName } from '../lambdas/shared/stack-outputs';
import { CrewError, fromAwsError, nameOf } from './errors';

/** What the CLI needs from the deployed stack, read from its outputs. */
export type StackOutputs = { readonly [name in StackOutputName]: string } & { readonly stackName: string };

/**
 * The stack name to use: `--stack`, else cdk.json's `context.deploymentCrew.stackName` in the working directory (the
 * project the stack was deployed from), else the app's default.
 */
export function defaultStackName(cwd: string = process.cwd()): string {
  try {
    const cdk = JSON.parse(readFileSync(join(cwd, 'cdk.json'), 'utf8')) as {
      context?: { deploymentCrew?: { stackName?: unknown } };
    };
    const name = cdk.context?.deploymentCrew?.stackName;
    return typeof name === 'string' && name.length > 0 ? name : DEFAULT_STACK_NAME;
  } catch {
    return DEFAULT_STACK_NAME;
  }
}

/** Reads the stack's outputs; a missing stack or output is a CrewError that names it and the region searched. */
export async function discoverStack(
  cloudFormation: CloudFormationClient,
  stackName: string,
  region: string | undefined,
): Promise<StackOutputs> {
  let outputs: { OutputKey?: string; OutputValue?: string }[];
  try {
    const { Stacks = [] } = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Stacks[0]?.Outputs ?? [];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (nameOf(error) === 'ValidationError' && /does not exist/.test(message)) {
      throw new CrewError(
        'STACK_NOT_FOUND',
        `stack '${stackName}' does not exist in region ${region ?? '(none configured)'}`,
        'pass --stack <name> and --region <region> of the deployed DeploymentCrew stack',
      );
    }
    throw fromAwsError(error, region);
  }
  const byKey = new Map(outputs.map((output) => [output.OutputKey, output.OutputValue]));
  const missing = Object.values(STACK_OUTPUTS).filter((key) => !byKey.get(key));
  if (missing.length > 0) {
    throw new CrewError(
      'STACK_NOT_FOUND',
      `stack '${stackName}' has no output ${missing.join(', ')}: it is not a DeploymentCrew stack, or an older one`,
      'deploy the current version of the stack (npx cdk deploy), or pass --stack <name>',
    );
  }
  const entries = Object.entries(STACK_OUTPUTS).map(([name, key]) => [name, byKey.get(key) as string]);
  return { stackName, ...Object.fromEntries(entries) } as StackOutputs;
}
