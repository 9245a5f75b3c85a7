import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The environment each agent's Lambda gets, for loading its bundle as Lambda would: every agent reads and validates
 * its configuration when its module loads. Taken from the stack itself (the sample configuration of cdk.json, built
 * in this process without bundling, as the template tests do), with CloudFormation's references resolved to names
 * and ARNs of the shape AWS gives them, and the variables the Lambda runtime sets.
 */

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

interface Resource {
  readonly Type: string;
  readonly Properties?: { readonly Environment?: { readonly Variables?: Record<string, Json> } };
}

interface Where {
  readonly account: string;
  readonly region: string;
}

const SERVICE_PREFIX = 'deployment-crew-';

function refOf(id: string, resources: Readonly<Record<string, Resource>>, where: Where): string {
  const pseudo: Record<string, string> = {
    'AWS::Region': where.region,
    'AWS::AccountId': where.account,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
  };
  if (pseudo[id] !== undefined) return pseudo[id];
  switch (resources[id]?.Type) {
    case 'AWS::SNS::Topic':
      return `arn:aws:sns:${where.region}:${where.account}:${id}`;
    case 'AWS::StepFunctions::StateMachine':
      return `arn:aws:states:${where.region}:${where.account}:stateMachine:${id}`;
    case 'AWS::SQS::Queue':
      return `https://sqs.${where.region}.amazonaws.com/${where.account}/${id}`;
    case 'AWS::S3::Bucket':
      return id.toLowerCase();
    default:
      // Tables, functions, alarms, buses: their name.
      return id;
  }
}

function attributeOf(id: string, attribute: string, resources: Readonly<Record<string, Resource>>, where: Where) {
  const type = resources[id]?.Type ?? '';
  if (attribute === 'FunctionUrl') return `https://${id.toLowerCase()}.lambda-url.${where.region}.on.aws/`;
  if (attribute !== 'Arn') return id;
  switch (type) {
    case 'AWS::IAM::Role':
      return `arn:aws:iam::${where.account}:role/${id}`;
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${where.region}:${where.account}:function:${id}`;
    case 'AWS::DynamoDB::Table':
    case 'AWS::DynamoDB::GlobalTable':
      return `arn:aws:dynamodb:${where.region}:${where.account}:table/${id}`;
    case 'AWS::S3::Bucket':
      return `arn:aws:s3:::${id.toLowerCase()}`;
    default: {
      const service = type.split('::')[1]?.toLowerCase() ?? 'unknown';
      return `arn:aws:${service}:${where.region}:${where.account}:${id}`;
    }
  }
}

/** A template value as the deployed function sees it: a string. */
export function resolveValue(value: Json, resources: Readonly<Record<string, Resource>>, where: Where): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value !== null && !Array.isArray(value)) {
    const [intrinsic, argument] = Object.entries(value)[0] ?? [];
    if (intrinsic === 'Ref' && typeof argument === 'string') return refOf(argument, resources, where);
    if (intrinsic === 'Fn::GetAtt' && Array.isArray(argument)) {
      const [id, attribute] = argument;
      if (typeof id === 'string' && typeof attribute === 'string') return attributeOf(id, attribute, resources, where);
    }
    if (intrinsic === 'Fn::Join' && Array.isArray(argument)) {
      const [separator, parts] = argument;
      if (typeof separator === 'string' && Array.isArray(parts)) {
        return parts.map((part) => resolveValue(part, resources, where)).join(separator);
      }
    }
  }
  throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 200)} in a function's environment`);
}

/** What the Lambda runtime sets besides the function's own variables (the ones module load may read). */
function runtimeVariables(agent: string, where: Where): Record<string, string> {
  return {
    AWS_REGION: where.region,
    AWS_DEFAULT_REGION: where.region,
    AWS_LAMBDA_FUNCTION_NAME: `DeploymentCrew-${agent}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    // Nothing to find for a credential chain, should anything resolve credentials while loading.
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Agent folder name (`rollback-trigger`) → the environment its function is deployed with. */
export async function agentEnvironments(root: string): Promise<Map<string, Record<string, string>>> {
  // Loaded here only: aws-cdk-lib is heavy, and only this figure needs the stack.
  const { App } = await import('aws-cdk-lib');
  const { Template } = await import('aws-cdk-lib/assertions');
  const { parseContextConfig } = await import('../lib/context-config');
  const { DeploymentCrewStack } = await import('../lib/deployment-crew-stack');
  const { context } = JSON.parse(readFileSync(join(root, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown> & { deploymentCrew: unknown };
  };
  const { deploymentCrew, ...flags } = context;
  const app = new App({ context: { ...flags, 'aws:cdk:bundling-stacks': [] } });
  const config = parseContextConfig(deploymentCrew);
  const stack = new DeploymentCrewStack(app, config.stackName, {
    env: config.env,
    crew: config.crew,
    vpcPlacement: config.vpcPlacement,
  });
  const where = { account: stack.account, region: stack.region };
  const resources = (Template.fromStack(stack).toJSON() as { Resources: Record<string, Resource> }).Resources;
  const environments = new Map<string, Record<string, string>>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = resource.Properties?.Environment?.Variables ?? {};
    const service = variables.POWERTOOLS_SERVICE_NAME;
    // Functions the stack does not build from lambdas/ (custom resources) carry no service name.
    if (typeof service !== 'string' || !service.startsWith(SERVICE_PREFIX)) continue;
    const agent = service.slice(SERVICE_PREFIX.length);
    const resolved = Object.fromEntries(
      Object.entries(variables).map(([name, value]) => [name, resolveValue(value, resources, where)]),
    );
    environments.set(agent, { ...runtimeVariables(agent, where), ...resolved });
  }
  return environments;
}
