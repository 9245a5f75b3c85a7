import { describe, expect, it } from 'vitest';
import {
  isValidRdsIdentifier,
  preservedIdentifierPrefix,
  RDS_IDENTIFIER_MAX_LENGTH,
  restoredMemberPrefix,
} from '../../../lambdas/shared/rds-names';
import {
  preservedIdentifierFor,
  restoredMemberIdentifier,
  restoreTags,
  temporaryIdentifierFor,
} from '../../../lambdas/tools/database-restore/identifiers';
import { CLUSTER_TEMPORARY_ID, DEPLOYMENT, NOW, PRESERVED_ID, SNAPSHOT_ID } from './fixtures';

describe('identifiers', () => {
  it('derives the preserved identifier from the deployment name, deterministically', () => {
    // Prepare
    const identifier = 'app-db';

    // Act
    const first = preservedIdentifierFor(identifier, DEPLOYMENT);
    const again = preservedIdentifierFor(identifier, DEPLOYMENT);
    const other = preservedIdentifierFor(identifier, 'release-1.4.1');

    // Assess
    expect(first).toBe(PRESERVED_ID);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(other.startsWith(preservedIdentifierPrefix(identifier))).toBe(true);
  });

  it('trims a long identifier so the preserved one stays a valid 63-character RDS identifier', () => {
    // Prepare
    const identifier = `${'a'.repeat(20)}-${'b'.repeat(42)}`;

    // Act
    const preserved = preservedIdentifierFor(identifier, DEPLOYMENT);

    // Assess
    expect(preserved.length).toBeLessThanOrEqual(RDS_IDENTIFIER_MAX_LENGTH);
    expect(isValidRdsIdentifier(preserved)).toBe(true);
    expect(preserved).toMatch(/^a{20}-b+-pre-rb-[0-9a-f]{8}$/);
    expect(preserved.startsWith(preservedIdentifierPrefix(identifier))).toBe(true);
  });

  it('never leaves a double or trailing hyphen where the trim cuts', () => {
    // Prepare: the cut falls right after a hyphen.
    const identifier = `${'a'.repeat(46)}-${'b'.repeat(16)}`;

    // Act
    const preserved = preservedIdentifierFor(identifier, DEPLOYMENT);

    // Assess
    expect(isValidRdsIdentifier(preserved)).toBe(true);
    expect(preserved).toMatch(/^a{46}-pre-rb-[0-9a-f]{8}$/);
  });

  it('names a member copy after its temporary cluster and its source member, within 63 characters', () => {
    // Prepare
    const longId = `${'c'.repeat(60)}x`;
    const longTemporary = temporaryIdentifierFor(longId, DEPLOYMENT);
    const longA = `${'m'.repeat(61)}a`;
    const longB = `${'m'.repeat(61)}b`;

    // Act
    const short = restoredMemberIdentifier('orders', CLUSTER_TEMPORARY_ID, 'orders-1');
    const other = restoredMemberIdentifier('orders', CLUSTER_TEMPORARY_ID, 'orders-2');
    const a = restoredMemberIdentifier(longId, longTemporary, longA);
    const b = restoredMemberIdentifier(longId, longTemporary, longB);

    // Assess
    expect(short).toMatch(/^orders-rb-new-9d7c36ba-[0-9a-f]{8}$/);
    expect(short.startsWith(restoredMemberPrefix('orders'))).toBe(true);
    expect(other).not.toBe(short);
    expect(a).not.toBe(b);
    for (const identifier of [short, other, a, b]) expect(isValidRdsIdentifier(identifier)).toBe(true);
    for (const identifier of [a, b]) {
      expect(identifier.startsWith(restoredMemberPrefix(longId))).toBe(true);
      expect(identifier).toContain(`-rb-new-${longTemporary.slice(-8)}-`);
    }
  });
});

describe('restore input builders', () => {
  it('keeps the application tags, drops aws: and old deployment-crew tags, and adds the rollback tags', () => {
    // Prepare
    const preservedTags = [
      { Key: 'team', Value: 'orders' },
      { Key: 'aws:cloudformation:stack-name', Value: 'app' },
      { Key: 'deployment-crew:restored-from', Value: 'deploymentcrew-older' },
    ];

    // Act
    const tags = restoreTags(preservedTags, {
      snapshotIdentifier: SNAPSHOT_ID,
      preservedIdentifier: PRESERVED_ID,
      deploymentName: DEPLOYMENT,
      restoredAt: NOW,
    });

    // Assess
    expect(tags).toEqual([
      { Key: 'team', Value: 'orders' },
      { Key: 'deployment-crew:restored-from', Value: SNAPSHOT_ID },
      { Key: 'deployment-crew:preserved-as', Value: PRESERVED_ID },
      { Key: 'deployment-crew:restored-at', Value: NOW.toISOString() },
      { Key: 'deployment-crew:managed-by', Value: 'deployment-crew' },
      { Key: 'deployment-crew:deployment', Value: DEPLOYMENT },
    ]);
  });

  it('stays within the 50-tag limit, keeping the rollback tags', () => {
    // Prepare
    const many = Array.from({ length: 60 }, (_, index) => ({ Key: `k${index}`, Value: 'v' }));

    // Act
    const tags = restoreTags(many, {
      snapshotIdentifier: SNAPSHOT_ID,
      preservedIdentifier: PRESERVED_ID,
      restoredAt: NOW,
    });

    // Assess
    expect(tags).toHaveLength(50);
    expect(tags.at(-1)).toEqual({ Key: 'deployment-crew:managed-by', Value: 'deployment-crew' });
  });
});
