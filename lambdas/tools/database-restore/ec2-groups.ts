import { DescribeSecurityGroupsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { errorName } from '../../shared/errors';
import type { GroupFacts } from './prechecks';

/**
 * The VPC and ingress rule count of security groups (EC2 DescribeSecurityGroups), for the fence check. A group that
 * does not exist is absent from the map (DescribeSecurityGroups fails the whole call for an unknown id, so the ids
 * are asked one by one then); other errors propagate to be retried.
 */
export function ec2SecurityGroups(
  client: EC2Client,
): (groupIds: readonly string[]) => Promise<Map<string, GroupFacts>> {
  const describe = async (ids: readonly string[]) => {
    const output = await client.send(new DescribeSecurityGroupsCommand({ GroupIds: [...ids] }));
    return (output.SecurityGroups ?? []).flatMap((group) =>
      group.GroupId === undefined
        ? []
        : [[group.GroupId, { vpcId: group.VpcId ?? '', ingressRules: group.IpPermissions?.length ?? 0 }] as const],
    );
  };
  return async (groupIds) => {
    try {
      return new Map(await describe(groupIds));
    } catch (error) {
      if (errorName(error) !== 'InvalidGroup.NotFound') throw error;
      const found = new Map<string, GroupFacts>();
      for (const id of groupIds) {
        try {
          for (const [groupId, facts] of await describe([id])) found.set(groupId, facts);
        } catch (single) {
          if (errorName(single) !== 'InvalidGroup.NotFound') throw single;
        }
      }
      return found;
    }
  };
}
