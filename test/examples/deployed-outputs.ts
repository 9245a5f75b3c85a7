import type { Template } from 'aws-cdk-lib/assertions';
import { OUTPUT_KEYS, type OutputName } from '../../examples/prerequisites/output-keys';

/**
 * What `cdk deploy --outputs-file` would write for the example stack: deploy-time values (ARNs, names) in place of the
 * template's references, shaped as CloudFormation resolves them.
 */
export const ACCOUNT = '123456789012';
const ARN = `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}`;

export const DEPLOYED_VALUES: Readonly<Record<OutputName, string>> = {
  listenerArn: `${ARN}:listener/app/crew-example/50dc6c495c0c9188/f2f7dc8efc522ab2`,
  blueTargetGroupArn: `${ARN}:targetgroup/crew-example-blue/73e2d6bc24d8a067`,
  greenTargetGroupArn: `${ARN}:targetgroup/crew-example-green/a1b2c3d4e5f60718`,
  clusterName: 'crew-example',
  blueServiceName: 'crew-example-blue',
  greenServiceName: 'crew-example-green',
  taskDefinitionFamily: 'crew-example-web',
  taskRoleArn: `arn:aws:iam::${ACCOUNT}:role/DeploymentCrewExample-TaskRole30FC0FBB-Ab12Cd34Ef56`,
  executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/DeploymentCrewExample-ExecutionRole605A040B-Gh78Ij90Kl12`,
  logGroupName: 'DeploymentCrewExample-Logs6819BB44-Mn34Op56Qr78',
  applicationUrl: 'http://crew-example-1234567890.eu-west-1.elb.amazonaws.com',
  sampleImage: 'public.ecr.aws/nginx/nginx:1.27-alpine',
  databaseInstanceIdentifier: 'crew-example-db',
  databaseSubnetGroupName: 'deploymentcrewexample-databasesubnetgroup-st90uv12wx34',
  databaseParameterGroupName: 'deploymentcrewexample-databaseparametergroupc9757d64-yz56ab78',
  databaseOptionGroupName: 'default:postgres-17',
  databaseMaxConnections: '80',
  databaseFenceSecurityGroupId: 'sg-0f1e2d3c4b5a69788',
};

/** Output key → deployed value, by the key's name. */
const BY_KEY = new Map(
  (Object.keys(OUTPUT_KEYS) as OutputName[]).map((name) => [OUTPUT_KEYS[name] as string, DEPLOYED_VALUES[name]]),
);

/**
 * The outputs the template declares, as deployed: a literal value stays as synthesized (the option group name, the
 * max connections), a reference becomes its deployed value. An output the template lacks is absent here too.
 */
export function deployedOutputsOf(template: Template): Record<string, string> {
  return Object.fromEntries(
    Object.entries(template.findOutputs('*')).map(([key, output]) => {
      const value: unknown = output.Value;
      if (typeof value === 'string') return [key, value];
      const deployed = BY_KEY.get(key);
      if (deployed === undefined) throw new Error(`no deployed value for output ${key}: add it to DEPLOYED_VALUES`);
      return [key, deployed];
    }),
  );
}

/** The outputs file `cdk deploy --outputs-file` writes: stack name → outputs. */
export function outputsFile(stackName = 'DeploymentCrewExample'): Record<string, Record<string, string>> {
  return {
    [stackName]: Object.fromEntries(
      (Object.keys(OUTPUT_KEYS) as OutputName[]).map((name) => [OUTPUT_KEYS[name], DEPLOYED_VALUES[name]]),
    ),
  };
}
