/**
 * The example stack's CloudFormation outputs: what `cdk deploy --outputs-file` writes and context-from-outputs reads.
 * A plain module (no aws-cdk-lib), so the script loads in a blink; the stack and the script share these names.
 */
export const OUTPUT_KEYS = {
  listenerArn: 'ListenerArn',
  blueTargetGroupArn: 'BlueTargetGroupArn',
  greenTargetGroupArn: 'GreenTargetGroupArn',
  clusterName: 'ClusterName',
  blueServiceName: 'BlueServiceName',
  greenServiceName: 'GreenServiceName',
  taskDefinitionFamily: 'TaskDefinitionFamily',
  taskRoleArn: 'TaskRoleArn',
  executionRoleArn: 'ExecutionRoleArn',
  logGroupName: 'LogGroupName',
  applicationUrl: 'ApplicationUrl',
  sampleImage: 'SampleImage',
  databaseInstanceIdentifier: 'DatabaseInstanceIdentifier',
  databaseSubnetGroupName: 'DatabaseSubnetGroupName',
  databaseParameterGroupName: 'DatabaseParameterGroupName',
  databaseOptionGroupName: 'DatabaseOptionGroupName',
  databaseMaxConnections: 'DatabaseMaxConnections',
  databaseFenceSecurityGroupId: 'DatabaseFenceSecurityGroupId',
} as const;

export type OutputName = keyof typeof OUTPUT_KEYS;

/** The stack's name when app.ts is run without `-c exampleStackName=…`. */
export const DEFAULT_EXAMPLE_STACK_NAME = 'DeploymentCrewExample';
