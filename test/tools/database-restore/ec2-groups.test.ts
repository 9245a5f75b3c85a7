import { DescribeSecurityGroupsCommand, EC2Client, EC2ServiceException } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ec2SecurityGroups } from '../../../lambdas/tools/database-restore';
import { rejection } from '../../support/errors';

const ec2 = mockClient(EC2Client);
const groupsOf = ec2SecurityGroups(new EC2Client({ region: 'eu-west-1' }));
const notFound = () =>
  new EC2ServiceException({ name: 'InvalidGroup.NotFound', $fault: 'client', message: 'not found', $metadata: {} });

beforeEach(() => {
  ec2.reset();
});

describe('ec2SecurityGroups', () => {
  it('reads the VPC and the ingress rule count of the groups in one call', async () => {
    // Prepare
    ec2.on(DescribeSecurityGroupsCommand).resolves({
      SecurityGroups: [
        { GroupId: 'sg-fence', VpcId: 'vpc-1', IpPermissions: [] },
        { GroupId: 'sg-db', VpcId: 'vpc-1', IpPermissions: [{ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 }] },
      ],
    });

    // Act
    const groups = await groupsOf(['sg-fence', 'sg-db']);

    // Assess
    expect(Object.fromEntries(groups)).toEqual({
      'sg-fence': { vpcId: 'vpc-1', ingressRules: 0 },
      'sg-db': { vpcId: 'vpc-1', ingressRules: 1 },
    });
    expect(ec2.commandCalls(DescribeSecurityGroupsCommand).map((call) => call.args[0].input)).toStrictEqual([
      { GroupIds: ['sg-fence', 'sg-db'] },
    ]);
  });

  it('leaves out a group that does not exist (EC2 fails the whole call for it), keeping the others', async () => {
    // Prepare
    ec2
      .on(DescribeSecurityGroupsCommand)
      .rejects(notFound())
      .on(DescribeSecurityGroupsCommand, { GroupIds: ['sg-db'] })
      .resolves({ SecurityGroups: [{ GroupId: 'sg-db', VpcId: 'vpc-1', IpPermissions: [] }] });

    // Act
    const groups = await groupsOf(['sg-gone', 'sg-db']);

    // Assess
    expect([...groups.keys()]).toEqual(['sg-db']);
  });

  it('lets a throttled call fail, to be retried', async () => {
    // Prepare
    ec2.on(DescribeSecurityGroupsCommand).rejects(
      new EC2ServiceException({
        name: 'RequestLimitExceeded',
        $fault: 'client',
        message: 'slow down',
        $metadata: {},
      }),
    );

    // Act
    const error = await rejection(groupsOf(['sg-db']));

    // Assess
    expect(error.name).toBe('RequestLimitExceeded');
  });
});
