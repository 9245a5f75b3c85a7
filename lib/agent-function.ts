import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The newest Node.js runtime this aws-cdk-lib offers; cdk-nag's L1 rule holds us to it. */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * Who invokes an agent when every invocation is synchronous: the caller receives the error, so there is nothing for a
 * dead-letter queue (which only catches failed asynchronous invocations) to keep.
 */
export type SynchronousInvoker = 'Step Functions' | 'its function URL';

const SYNCHRONOUS_INVOCATION: Record<SynchronousInvoker, string> = {
  'Step Functions':
    'Invoked synchronously by Step Functions (Task states, RequestResponse): the caller sees the error and ' +
    'retries/catches; a DLQ applies only to asynchronous invocation.',
  'its function URL':
    'Invoked synchronously, through its AWS_IAM function URL or `aws lambda invoke` (RequestResponse): the caller ' +
    'sees the error and answers again; a DLQ applies only to asynchronous invocation.',
};

/**
 * Properties of one agent Lambda.
 */
export interface AgentFunctionProps {
  /** Folder under `lambdas/` holding the agent's `index.ts`. */
  readonly agent: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /**
   * Environment variables (configuration only, never secrets).
   * @default - none besides the logger's
   */
  readonly environment?: Record<string, string>;
  /**
   * Function timeout.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (also buys CPU: bundles with AWS SDK clients load faster with more).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Set when the function is only ever invoked synchronously, naming by whom: cdk-nag's Serverless-LambdaDLQ is then
   * acknowledged with that as the reason.
   * @default - not acknowledged: a function invoked asynchronously (EventBridge, SNS, S3, …) needs an on-failure
   * destination or a dead-letter queue from the construct that wires its invoker
   */
  readonly invokedSynchronouslyBy?: SynchronousInvoker;
  /**
   * The VPC the function runs in (e.g. to reach an internal load balancer).
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The subnets of its network interfaces, with `vpc`.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The security groups of its network interfaces, with `vpc`.
   * @default - a new group allowing all outbound traffic
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * One agent = one Lambda = one role. The role starts with nothing but writing to the function's own log group and
 * sending X-Ray traces, so that every other permission it holds is one its tools need (no managed policy, no shared
 * role).
 */
export class AgentFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The X-Ray grant of active tracing, apart from the role's default policy (see the constructor). */
  readonly tracingPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: AgentFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `DeploymentCrew ${props.agent}: only the actions of its own tools`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: `${PROJECT_ROOT}lambdas/${props.agent}/index.ts`,
      handler: 'handler',
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout ?? Duration.seconds(60),
      memorySize: props.memorySize ?? 512,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups === undefined ? undefined : [...props.securityGroups],
      environment: { POWERTOOLS_SERVICE_NAME: `deployment-crew-${props.agent}`, ...props.environment },
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: false,
        mainFields: ['module', 'main'],
        // Pin the SDK we test against instead of whatever the runtime ships.
        bundleAwsSDK: true,
        banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
      },
    });

    // Active tracing, set on the L1: the `tracing` prop would add the X-Ray grant to the role's default policy, where
    // the agents acknowledge their `*` resources as read-only. A policy of its own keeps each reason true.
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    this.tracingPolicy = new iam.Policy(this, 'Tracing', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    // Attached before the function exists, so its first traces are not refused.
    this.function.node.addDependency(this.tracingPolicy);
    Validations.of(this.tracingPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
        'permissions, so they can only be granted on *.',
    });
    if (props.invokedSynchronouslyBy !== undefined) {
      Validations.of(this.function).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: SYNCHRONOUS_INVOCATION[props.invokedSynchronouslyBy],
      });
    }
  }
}
