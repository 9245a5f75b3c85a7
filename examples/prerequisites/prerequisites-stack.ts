import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { OUTPUT_KEYS, type OutputName } from './output-keys';

/**
 * The resources DeploymentCrew expects an application to have, at trial size: a weighted listener over two target
 * groups, one Fargate service in each, one task definition family, a PostgreSQL instance with its own subnet and
 * parameter groups, and a fence security group for a database restore. Not production-grade: HTTP only, one small
 * database that is deleted with the stack.
 */
export interface PrerequisitesStackProps extends StackProps {
  /** Prefix of every named resource (cluster, services, family, target groups, load balancer, database). */
  readonly prefix?: string;
  /** The image both services start with; it must answer 200 on `/` on port 80. */
  readonly image?: string;
  /** The database's max_connections, set in its parameter group so that the crew's DB saturation has a known 100 %. */
  readonly databaseMaxConnections?: number;
}

export const DEFAULT_PREFIX = 'crew-example';
/** Multi-arch, answers 200 on `/` and 404 elsewhere. */
export const DEFAULT_SAMPLE_IMAGE = 'public.ecr.aws/nginx/nginx:1.27-alpine';
/** Below what RDS derives for db.t4g.micro's memory (about 100): a value the instance can really hold. */
export const DEFAULT_DATABASE_MAX_CONNECTIONS = 80;
/** Major version only: RDS picks the current minor; the default option group is named after the major. */
const POSTGRES_VERSION = rds.PostgresEngineVersion.VER_17;
export const CONTAINER_NAME = 'web';
const CONTAINER_PORT = 80;

export class PrerequisitesStack extends Stack {
  constructor(scope: Construct, id: string, props: PrerequisitesStackProps = {}) {
    super(scope, id, props);
    const prefix = props.prefix ?? DEFAULT_PREFIX;
    // The longest derived name, `<prefix>-green`, must fit a target group's 32 characters.
    if (!/^[a-z][a-z0-9-]{0,19}$/.test(prefix) || prefix.endsWith('-')) {
      throw new Error(`prefix: 1-20 lower-case letters, digits and hyphens, starting with a letter; got '${prefix}'`);
    }
    const image = props.image ?? DEFAULT_SAMPLE_IMAGE;
    const maxConnections = props.databaseMaxConnections ?? DEFAULT_DATABASE_MAX_CONNECTIONS;
    if (!Number.isInteger(maxConnections) || maxConnections < 10) {
      throw new Error(`databaseMaxConnections: a whole number, 10 or more; got ${maxConnections}`);
    }

    // No NAT gateway: tasks run in the public subnets with a public IP (to pull the image); their security group
    // admits only the load balancer. The database sits in isolated subnets without any route out.
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'database', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
    });

    const targetGroup = (side: 'blue' | 'green') =>
      new elbv2.ApplicationTargetGroup(this, side === 'blue' ? 'BlueTargetGroup' : 'GreenTargetGroup', {
        vpc,
        targetGroupName: `${prefix}-${side}`,
        targetType: elbv2.TargetType.IP,
        protocol: elbv2.ApplicationProtocol.HTTP,
        port: CONTAINER_PORT,
        // Short interval and thresholds: green becomes healthy (and a broken one unhealthy) in about 20 s.
        healthCheck: {
          path: '/',
          healthyHttpCodes: '200',
          interval: Duration.seconds(10),
          timeout: Duration.seconds(5),
          healthyThresholdCount: 2,
          unhealthyThresholdCount: 2,
        },
        deregistrationDelay: Duration.seconds(30),
      });
    const blueTargetGroup = targetGroup('blue');
    const greenTargetGroup = targetGroup('green');

    const loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      loadBalancerName: prefix,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    });
    // HTTP only: enough for a trial without a domain or a certificate. The default action is what the crew reads
    // and rewrites: a weighted forward, all of it on blue. No listener rule forwards to either group.
    const listener = loadBalancer.addListener('Http', {
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      open: true,
      defaultAction: elbv2.ListenerAction.weightedForward([
        { targetGroup: blueTargetGroup, weight: 100 },
        { targetGroup: greenTargetGroup, weight: 0 },
      ]),
    });

    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      clusterName: prefix,
      containerInsightsV2: ecs.ContainerInsights.DISABLED,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_WEEK,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'The sample application task role: no permissions, the sample calls no AWS API',
    });
    const executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Starts the sample tasks: writes their logs (the image is public, no registry rights needed)',
    });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      family: `${prefix}-web`,
      cpu: 256,
      memoryLimitMiB: 512,
      taskRole,
      executionRole,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    taskDefinition.addContainer(CONTAINER_NAME, {
      containerName: CONTAINER_NAME,
      image: ecs.ContainerImage.fromRegistry(image),
      portMappings: [{ containerPort: CONTAINER_PORT, protocol: ecs.Protocol.TCP }],
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: CONTAINER_NAME }),
    });

    const serviceSecurityGroup = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', {
      vpc,
      description: 'Sample tasks: ingress from the load balancer only, egress to pull the image',
      allowAllOutbound: true,
    });
    // The crew moves the weights and the green service itself, so the services are plain ECS rolling updates: no
    // CodeDeploy, no ECS blue/green strategy, no advanced load balancer configuration (the crew refuses those).
    const service = (side: 'blue' | 'green', desiredCount: number, group: elbv2.ApplicationTargetGroup) => {
      const created = new ecs.FargateService(this, side === 'blue' ? 'BlueService' : 'GreenService', {
        cluster,
        serviceName: `${prefix}-${side}`,
        taskDefinition,
        desiredCount,
        assignPublicIp: true,
        vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
        securityGroups: [serviceSecurityGroup],
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        deploymentController: { type: ecs.DeploymentControllerType.ECS },
        deploymentStrategy: ecs.DeploymentStrategy.ROLLING,
        // A release that never gets healthy fails its rollout in minutes instead of the crew's 20-minute wait.
        circuitBreaker: { enable: true, rollback: true },
        healthCheckGracePeriod: Duration.seconds(30),
      });
      group.addTarget(created.loadBalancerTarget({ containerName: CONTAINER_NAME, containerPort: CONTAINER_PORT }));
      return created;
    };
    // Green idles at 0 tasks: the crew scales it to live's count (at least 1) for a release and back to 0 after.
    const blueService = service('blue', 1, blueTargetGroup);
    const greenService = service('green', 0, greenTargetGroup);

    const databaseSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc,
      description: 'Sample database: PostgreSQL from the sample tasks only',
      allowAllOutbound: false,
    });
    databaseSecurityGroup.addIngressRule(serviceSecurityGroup, ec2.Port.tcp(5432), 'PostgreSQL from the tasks');
    // What a database rollback puts on the old instance before the rename swap: no ingress, so nothing writes to it.
    const fenceSecurityGroup = new ec2.SecurityGroup(this, 'DatabaseFenceSecurityGroup', {
      vpc,
      description: 'DeploymentCrew fence: no ingress, put on the old database during a restore swap',
      allowAllOutbound: false,
    });
    const subnetGroup = new rds.SubnetGroup(this, 'DatabaseSubnetGroup', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      description: 'Sample database subnets (isolated)',
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const engine = rds.DatabaseInstanceEngine.postgres({ version: POSTGRES_VERSION });
    const parameterGroup = new rds.ParameterGroup(this, 'DatabaseParameterGroup', {
      engine,
      description: 'Sample database parameters: max_connections fixed so that DB saturation has a known limit',
      parameters: { max_connections: String(maxConnections) },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const database = new rds.DatabaseInstance(this, 'Database', {
      engine,
      instanceIdentifier: `${prefix}-db`,
      instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
      vpc,
      subnetGroup,
      securityGroups: [databaseSecurityGroup],
      parameterGroup,
      allocatedStorage: 20,
      storageType: rds.StorageType.GP3,
      // The AWS managed aws/rds key: the crew's restore role may use it without a kmsKeyArn.
      storageEncrypted: true,
      multiAz: false,
      publiclyAccessible: false,
      // A generated secret, not an RDS-managed one: the crew refuses to restore a database whose master secret RDS
      // manages (that secret would stay with the renamed original).
      credentials: rds.Credentials.fromGeneratedSecret('postgres'),
      backupRetention: Duration.days(1),
      deleteAutomatedBackups: true,
      // A trial: the database goes with the stack, no final snapshot.
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const output = (name: OutputName, value: string, description: string) =>
      new CfnOutput(this, OUTPUT_KEYS[name], { value, description });
    output('listenerArn', listener.listenerArn, 'listenerArn: the weighted HTTP listener');
    output('blueTargetGroupArn', blueTargetGroup.targetGroupArn, 'targetGroupArns[0]: blue, 100 % at first');
    output('greenTargetGroupArn', greenTargetGroup.targetGroupArn, 'targetGroupArns[1]: green, 0 % at first');
    output('clusterName', cluster.clusterName, 'ecs.clusterName');
    output('blueServiceName', blueService.serviceName, "ecs.services: the blue target group's service");
    output('greenServiceName', greenService.serviceName, "ecs.services: the green target group's service");
    output('taskDefinitionFamily', taskDefinition.family, 'ecs.taskDefinitionFamily');
    output('taskRoleArn', taskRole.roleArn, 'ecs.passRoleArns: the task role');
    output('executionRoleArn', executionRole.roleArn, 'ecs.passRoleArns: the execution role');
    output('logGroupName', logGroup.logGroupName, "postDeployment.logGroupNames: the tasks' logs");
    output('applicationUrl', `http://${loadBalancer.loadBalancerDnsName}`, 'healthEndpoints and productionUrl');
    output('sampleImage', image, 'the image both services start with');
    output('databaseInstanceIdentifier', database.instanceIdentifier, 'database.instanceIdentifier');
    output('databaseSubnetGroupName', subnetGroup.subnetGroupName, 'databaseRestore.subnetGroupName');
    output(
      'databaseParameterGroupName',
      parameterGroup.bindToInstance({}).parameterGroupName,
      'databaseRestore.parameterGroupNames',
    );
    // No option group is chosen, so RDS gives the instance its engine's default one.
    output(
      'databaseOptionGroupName',
      `default:postgres-${POSTGRES_VERSION.postgresMajorVersion}`,
      'databaseRestore.optionGroupNames',
    );
    output('databaseMaxConnections', String(maxConnections), 'databaseMaxConnections');
    output('databaseFenceSecurityGroupId', fenceSecurityGroup.securityGroupId, 'databaseRestore.fenceSecurityGroupId');
  }
}
