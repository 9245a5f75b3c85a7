import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contextFromOutputs, placeholdersIn } from '../../examples/prerequisites/context-from-outputs';
import { OUTPUT_KEYS } from '../../examples/prerequisites/output-keys';
import {
  CONTAINER_NAME,
  DEFAULT_DATABASE_MAX_CONNECTIONS,
  PrerequisitesStack,
} from '../../examples/prerequisites/prerequisites-stack';
import { parseContextConfig } from '../../lib/context-config';
import { DeploymentCrewStack } from '../../lib/deployment-crew-stack';
import { featureFlags } from '../support/sample-stack';
import { ACCOUNT, DEPLOYED_VALUES, deployedOutputsOf } from './deployed-outputs';

/**
 * The example prerequisites stack: the shapes DeploymentCrew reads at run time (the listener's weighted forward, the
 * two services of one family, the database and the groups a restore re-uses) and the outputs the context is made of.
 * Synthesized with cdk.json's feature flags: `cdk --app … deploy` run from the project reads the same cdk.json.
 */

let template: Template;
let outdir: string;

beforeAll(() => {
  outdir = mkdtempSync(join(tmpdir(), 'crew-example-'));
  const app = new App({ outdir, context: featureFlags() });
  template = Template.fromStack(new PrerequisitesStack(app, 'DeploymentCrewExample'));
}, 60_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

const CHOICES = {
  chairmanEmails: ['chairman@example.com'],
  approvers: [`arn:aws:iam::${ACCOUNT}:role/Chairman`],
};

/** The crew's stack built from a context the way bin/ does, without bundling. */
function buildCrew(context: unknown): DeploymentCrewStack {
  const app = new App({ outdir, context: { ...featureFlags(), 'aws:cdk:bundling-stacks': [] } });
  const config = parseContextConfig(context);
  return new DeploymentCrewStack(app, config.stackName, {
    env: config.env,
    crew: config.crew,
    vpcPlacement: config.vpcPlacement,
  });
}

/** The logical ID of the only resource of `type` whose properties match. */
function logicalIdOf(type: string, properties: Record<string, unknown> = {}): string {
  const found = Object.keys(template.findResources(type, { Properties: Match.objectLike(properties) }));
  expect(found, `one ${type} matching ${JSON.stringify(properties)}`).toHaveLength(1);
  return found[0] ?? '';
}

describe('example prerequisites: load balancer', () => {
  it("forwards the listener's default action to blue at 100 and green at 0, over HTTP", () => {
    // Prepare
    const blue = logicalIdOf('AWS::ElasticLoadBalancingV2::TargetGroup', { Name: 'crew-example-blue' });
    const green = logicalIdOf('AWS::ElasticLoadBalancingV2::TargetGroup', { Name: 'crew-example-green' });

    // Act
    const listeners = template.findResources('AWS::ElasticLoadBalancingV2::Listener');

    // Assess
    expect(Object.values(listeners).map((listener) => listener.Properties)).toEqual([
      expect.objectContaining({
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [
          {
            Type: 'forward',
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: { Ref: blue }, Weight: 100 },
                { TargetGroupArn: { Ref: green }, Weight: 0 },
              ],
            },
          },
        ],
      }),
    ]);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' });
  });

  it('has exactly two IP target groups, each health-checked on /', () => {
    // Prepare
    const expected = {
      TargetType: 'ip',
      Protocol: 'HTTP',
      Port: 80,
      HealthCheckPath: '/',
      Matcher: { HttpCode: '200' },
    };

    // Act
    const groups = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'));

    // Assess
    expect(groups).toHaveLength(2);
    for (const group of groups) expect(group.Properties).toMatchObject(expected);
  });
});

describe('example prerequisites: ECS', () => {
  it('runs blue (1 task) and green (0 tasks) in one cluster from one task definition, each in its own group', () => {
    // Prepare
    const cluster = logicalIdOf('AWS::ECS::Cluster');
    const taskDefinition = logicalIdOf('AWS::ECS::TaskDefinition', { Family: 'crew-example-web' });
    const group = (name: string) => logicalIdOf('AWS::ElasticLoadBalancingV2::TargetGroup', { Name: name });

    // Act
    const services = Object.values(template.findResources('AWS::ECS::Service')).map((service) => service.Properties);

    // Assess
    expect(services).toHaveLength(2);
    for (const [side, desiredCount] of [
      ['blue', 1],
      ['green', 0],
    ] as const) {
      expect(services).toContainEqual(
        expect.objectContaining({
          ServiceName: `crew-example-${side}`,
          Cluster: { Ref: cluster },
          TaskDefinition: { Ref: taskDefinition },
          DesiredCount: desiredCount,
          LoadBalancers: [
            {
              ContainerName: CONTAINER_NAME,
              ContainerPort: 80,
              TargetGroupArn: { Ref: group(`crew-example-${side}`) },
            },
          ],
        }),
      );
    }
  });

  it('leaves the listener to the crew: ECS rolling updates, no traffic-shifting strategy or advanced configuration', () => {
    // Act
    const services = Object.values(template.findResources('AWS::ECS::Service')).map((service) => service.Properties);

    // Assess
    for (const service of services) {
      expect(service.DeploymentController).toEqual({ Type: 'ECS' });
      expect(service.DeploymentConfiguration.Strategy).toBe('ROLLING');
      for (const binding of service.LoadBalancers) expect(binding.AdvancedConfiguration).toBeUndefined();
    }
  });

  it('runs tasks with a public IP in public subnets, without a NAT gateway', () => {
    // Act
    const services = Object.values(template.findResources('AWS::ECS::Service')).map((service) => service.Properties);

    // Assess
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const service of services) {
      expect(service.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp).toBe('ENABLED');
    }
  });

  it('gives the task definition a task role and an execution role', () => {
    // Prepare
    const taskRole = logicalIdOf('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('task role'),
    });
    const executionRole = logicalIdOf('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('Starts the sample tasks'),
    });

    // Act / Assess
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Family: 'crew-example-web',
      RequiresCompatibilities: ['FARGATE'],
      TaskRoleArn: { 'Fn::GetAtt': [taskRole, 'Arn'] },
      ExecutionRoleArn: { 'Fn::GetAtt': [executionRole, 'Arn'] },
      ContainerDefinitions: [
        Match.objectLike({ Name: CONTAINER_NAME, Image: Match.stringLikeRegexp('^public\\.ecr\\.aws/') }),
      ],
    });
  });
});

describe('example prerequisites: database', () => {
  it('is an encrypted db.t4g.micro PostgreSQL with its own subnet group and parameter group, deleted with the stack', () => {
    // Prepare
    const subnetGroup = logicalIdOf('AWS::RDS::DBSubnetGroup');
    const parameterGroup = logicalIdOf('AWS::RDS::DBParameterGroup', {
      Parameters: { max_connections: String(DEFAULT_DATABASE_MAX_CONNECTIONS) },
    });

    // Act / Assess
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        Engine: 'postgres',
        DBInstanceClass: 'db.t4g.micro',
        StorageEncrypted: true,
        PubliclyAccessible: false,
        DeletionProtection: false,
        DBSubnetGroupName: { Ref: subnetGroup },
        DBParameterGroupName: { Ref: parameterGroup },
        // The crew refuses to restore a database whose master secret RDS manages.
        ManageMasterUserPassword: Match.absent(),
        // No customer managed key: the restore needs no kmsKeyArn.
        KmsKeyId: Match.absent(),
      }),
    });
  });

  it('puts the subnet group on the isolated subnets only', () => {
    // Prepare
    const subnets = template.findResources('AWS::EC2::Subnet');
    const isolated = Object.entries(subnets).flatMap(([id, subnet]) =>
      (subnet.Properties.Tags as { Key: string; Value: string }[]).some(
        (tag) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === 'Isolated',
      )
        ? [id]
        : [],
    );

    // Act
    const groups = Object.values(template.findResources('AWS::RDS::DBSubnetGroup'));

    // Assess
    expect(isolated).toHaveLength(2);
    expect(groups.map((group) => group.Properties.SubnetIds)).toEqual([isolated.map((id) => ({ Ref: id }))]);
  });

  it('has a fence security group without ingress, in the same VPC', () => {
    // Act
    const fence = template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('fence') },
    });
    const [fenceId] = Object.keys(fence);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter((rule) =>
      JSON.stringify(rule.Properties.GroupId).includes(fenceId ?? '?'),
    );

    // Assess
    expect(Object.keys(fence)).toHaveLength(1);
    expect(fence[fenceId ?? '']?.Properties.SecurityGroupIngress).toBeUndefined();
    expect(ingress).toEqual([]);
    expect(fence[fenceId ?? '']?.Properties.VpcId).toEqual({ Ref: logicalIdOf('AWS::EC2::VPC') });
  });
});

describe('example prerequisites: outputs and IAM', () => {
  it('outputs every value the crew context is made of', () => {
    // Act
    const outputs = Object.keys(template.findOutputs('*'));

    // Assess
    expect(outputs.sort()).toEqual(Object.values(OUTPUT_KEYS).sort());
  });

  it('grants no wildcard action and no administrator policy', () => {
    // Prepare
    const statements = [
      ...Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement,
      ),
      ...Object.values(template.findResources('AWS::IAM::Role')).flatMap((role) =>
        (role.Properties.Policies ?? []).flatMap(
          (policy: { PolicyDocument: { Statement: unknown[] } }) => policy.PolicyDocument.Statement,
        ),
      ),
    ] as { Action: string | string[] }[];
    const managed = Object.values(template.findResources('AWS::IAM::Role')).flatMap((role) =>
      JSON.stringify(role.Properties.ManagedPolicyArns ?? []),
    );

    // Act
    const wildcards = statements.flatMap((statement) =>
      [statement.Action].flat().filter((action) => action === '*' || action.endsWith(':*')),
    );

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    expect(wildcards).toEqual([]);
    expect(managed.join()).not.toMatch(/AdministratorAccess|PowerUserAccess/);
  });
});

describe('example prerequisites: the crew context made from its outputs', () => {
  it("parses with the main app's context schema once chairmanEmails and approvers are filled in", () => {
    // Prepare
    const outputs = deployedOutputsOf(template);

    // Act
    const config = parseContextConfig(contextFromOutputs(outputs, CHOICES));

    // Assess
    const crew = config.crew;
    expect(config.env).toEqual({ account: ACCOUNT, region: 'eu-west-1' });
    expect(crew.listenerArn).toBe(DEPLOYED_VALUES.listenerArn);
    expect(crew.targetGroupArns).toEqual([DEPLOYED_VALUES.blueTargetGroupArn, DEPLOYED_VALUES.greenTargetGroupArn]);
    expect(crew.database).toEqual({ instanceIdentifier: 'crew-example-db' });
    expect(crew.ecs).toEqual({
      clusterName: 'crew-example',
      services: [
        { targetGroupArn: DEPLOYED_VALUES.blueTargetGroupArn, serviceName: 'crew-example-blue' },
        { targetGroupArn: DEPLOYED_VALUES.greenTargetGroupArn, serviceName: 'crew-example-green' },
      ],
      taskDefinitionFamily: 'crew-example-web',
      passRoleArns: [DEPLOYED_VALUES.taskRoleArn, DEPLOYED_VALUES.executionRoleArn],
    });
    expect(crew.databaseMaxConnections).toBe(DEFAULT_DATABASE_MAX_CONNECTIONS);
    expect(crew.databaseRestore).toEqual({
      subnetGroupName: DEPLOYED_VALUES.databaseSubnetGroupName,
      parameterGroupNames: [DEPLOYED_VALUES.databaseParameterGroupName],
      optionGroupNames: ['default:postgres-17'],
      fenceSecurityGroupId: DEPLOYED_VALUES.databaseFenceSecurityGroupId,
    });
    expect(crew.healthEndpoints).toEqual([expect.objectContaining({ url: `${DEPLOYED_VALUES.applicationUrl}/` })]);
    expect(crew.postDeployment.productionUrl).toBe(DEPLOYED_VALUES.applicationUrl);
    expect(crew.postDeployment.logGroupNames).toEqual([DEPLOYED_VALUES.logGroupName]);
    expect(crew.postDeployment.smokeSuite.some((step) => step.probe === true)).toBe(true);
    expect(crew.chairmanEmails).toEqual(CHOICES.chairmanEmails);
    expect(crew.approvers).toEqual(CHOICES.approvers);
  });

  it("passes the crew stack's synth-time checks", () => {
    // Prepare
    const context = contextFromOutputs(deployedOutputsOf(template), CHOICES);

    // Act
    const crew = buildCrew(context);

    // Assess
    expect(Template.fromStack(crew).findOutputs('StateMachineArn')).not.toEqual({});
  });

  it('holds placeholders for chairmanEmails and approvers, which the parser and the synth refuse', () => {
    // Prepare
    const context = contextFromOutputs(deployedOutputsOf(template));

    // Act
    const placeholders = placeholdersIn(context);

    // Assess
    expect(placeholders).toEqual(['chairmanEmails[0]', 'approvers[0]']);
    expect(() => parseContextConfig(context)).toThrow(/chairmanEmails/);
    expect(() => buildCrew({ ...context, chairmanEmails: CHOICES.chairmanEmails })).toThrow(/approvers/);
  });

  it('refuses outputs without one of the values the context needs, naming it', () => {
    // Prepare
    const { [OUTPUT_KEYS.databaseFenceSecurityGroupId]: _fence, ...outputs } = deployedOutputsOf(template);

    // Act / Assess
    expect(() => contextFromOutputs(outputs, CHOICES)).toThrow(/lack DatabaseFenceSecurityGroupId/);
  });
});
