import { describe, expect, it } from 'vitest';
import { disallowedResources, discoveredFromCluster } from '../../../lambdas/tools/database-restore/allowed-resources';
import {
  clusterRestoreInput,
  instanceFollowUpModify,
  instanceRestoreInput,
} from '../../../lambdas/tools/database-restore/restore-inputs';
import {
  clusterSettingsMismatches,
  instanceSettingsMismatches,
} from '../../../lambdas/tools/database-restore/settings';
import { allowed, productionCluster, productionInstance, SNAPSHOT_ID, TEMPORARY_ID } from './fixtures';

/**
 * Settings a restore used to drop silently (review 14): storage autoscaling and the CA certificate of an instance,
 * the option group of an Aurora MySQL cluster. Each is sent, and checked on the copy before anything is fenced.
 */

const target = { identifier: TEMPORARY_ID, snapshotIdentifier: SNAPSHOT_ID, tags: [] };
const auroraMysql = productionCluster({
  Engine: 'aurora-mysql',
  EngineVersion: '8.0.mysql_aurora.3.05.2',
  DBClusterOptionGroupMemberships: [{ DBClusterOptionGroupName: 'orders-audit', Status: 'in-sync' }],
});

describe('instance storage autoscaling and CA certificate', () => {
  const source = productionInstance({ MaxAllocatedStorage: 1000, CACertificateIdentifier: 'rds-ca-ecc384-g1' });

  it('restores with the source CA certificate', () => {
    // Act
    const input = instanceRestoreInput(source, target);

    // Assess
    expect(input.CACertificateIdentifier).toBe('rds-ca-ecc384-g1');
  });

  it('sets the source storage autoscaling limit in the follow-up modify (a restore cannot take it)', () => {
    // Act
    const modify = instanceFollowUpModify(source, TEMPORARY_ID);

    // Assess: the source uses neither monitoring nor Performance Insights, the modify is there for autoscaling alone
    expect(modify).toEqual({ DBInstanceIdentifier: TEMPORARY_ID, ApplyImmediately: true, MaxAllocatedStorage: 1000 });
  });

  it('sends no autoscaling limit the source does not have, nor one RDS would refuse (not above the storage)', () => {
    // Prepare
    const none = productionInstance();
    const exhausted = productionInstance({ AllocatedStorage: 1000, MaxAllocatedStorage: 1000 });

    // Act
    const modifies = [instanceFollowUpModify(none, TEMPORARY_ID), instanceFollowUpModify(exhausted, TEMPORARY_ID)];

    // Assess
    expect(modifies).toEqual([undefined, undefined]);
  });

  it('fails a copy without the source autoscaling limit or with another CA certificate', () => {
    // Prepare
    const restored = { ...source, MaxAllocatedStorage: undefined, CACertificateIdentifier: 'rds-ca-rsa2048-g1' };

    // Act
    const mismatches = instanceSettingsMismatches(source, restored);
    const matching = instanceSettingsMismatches(source, { ...source });

    // Assess
    expect(mismatches).toEqual([
      "MaxAllocatedStorage is undefined, the source's 1000",
      'CACertificateIdentifier is "rds-ca-rsa2048-g1", the source\'s "rds-ca-ecc384-g1"',
    ]);
    expect(matching).toEqual([]);
  });

  it('fails a copy that has autoscaling the source does not have', () => {
    // Prepare
    const plain = productionInstance();

    // Act
    const mismatches = instanceSettingsMismatches(plain, { ...plain, MaxAllocatedStorage: 500 });

    // Assess
    expect(mismatches).toEqual(["MaxAllocatedStorage is 500, the source's undefined"]);
  });

  it('review 14: carries or verifies storage autoscaling and the CA', () => {
    // Prepare
    const restored = { ...source, MaxAllocatedStorage: undefined, CACertificateIdentifier: 'rds-ca-rsa2048-g1' };

    // Act
    const restore = instanceRestoreInput(source, target);
    const modify = instanceFollowUpModify(source, TEMPORARY_ID);
    const mismatches = instanceSettingsMismatches(source, restored);

    // Assess
    expect('MaxAllocatedStorage' in (modify ?? {})).toBe(true);
    expect('CACertificateIdentifier' in restore).toBe(true);
    expect(mismatches.length).toBeGreaterThan(0);
  });
});

describe('Aurora cluster option group', () => {
  it('restores the cluster with the source option group', () => {
    // Act
    const input = clusterRestoreInput(auroraMysql, target);

    // Assess
    expect(input.OptionGroupName).toBe('orders-audit');
  });

  it('sends no option group for a cluster without one (Aurora PostgreSQL)', () => {
    // Act
    const input = clusterRestoreInput(productionCluster(), target);

    // Assess
    expect('OptionGroupName' in input).toBe(false);
  });

  it('fails a copy in another option group', () => {
    // Prepare
    const restored = {
      ...auroraMysql,
      DBClusterOptionGroupMemberships: [{ DBClusterOptionGroupName: 'default:aurora-mysql-8-0', Status: 'in-sync' }],
    };

    // Act
    const mismatches = clusterSettingsMismatches(auroraMysql, restored);
    const matching = clusterSettingsMismatches(auroraMysql, structuredClone(auroraMysql));

    // Assess
    expect(mismatches).toEqual(['DBClusterOptionGroup is "default:aurora-mysql-8-0", the source\'s "orders-audit"']);
    expect(matching).toEqual([]);
  });

  it('refuses, before anything changes, a cluster option group that is not allowed', () => {
    // Act
    const discovered = discoveredFromCluster(auroraMysql, []);
    const refused = disallowedResources(discovered, allowed);
    const permitted = disallowedResources(discovered, { ...allowed, optionGroups: ['orders-audit'] });

    // Assess
    expect(discovered.optionGroups).toEqual(['orders-audit']);
    expect(refused).toEqual(["optionGroups 'orders-audit' is not in allowedResources.optionGroups"]);
    expect(permitted).toEqual([]);
  });
});
