import { describe, expect, it } from 'vitest';
import { disallowedResources, discoveredFromInstance } from '../../../lambdas/tools/database-restore/allowed-resources';
import { allowed, productionInstance } from './fixtures';

describe('restore input builders', () => {
  it('lists every discovered group that the configuration does not allow', () => {
    // Prepare
    const instance = productionInstance({
      DBSubnetGroup: { DBSubnetGroupName: 'other-subnets' },
      OptionGroupMemberships: [{ OptionGroupName: 'custom-og' }],
    });

    // Act
    const problems = disallowedResources(discoveredFromInstance(instance), {
      ...allowed,
      securityGroupIds: ['sg-0aaa'],
    });
    const unchecked = disallowedResources(discoveredFromInstance(instance), undefined);

    // Assess
    expect(problems).toEqual([
      "subnetGroups 'other-subnets' is not in allowedResources.subnetGroups",
      "optionGroups 'custom-og' is not in allowedResources.optionGroups",
      "securityGroupIds 'sg-0bbb' is not in allowedResources.securityGroupIds",
    ]);
    expect(unchecked).toEqual([]);
  });
});
