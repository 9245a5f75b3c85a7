import { describe, expect, it } from 'vitest';
import { SNAPSHOT_IDENTIFIER_MAX_LENGTH, SNAPSHOT_PREFIX } from '../../../lambdas/shared/rds-names';
import { snapshotIdentifierFor } from '../../../lambdas/tools/backup/snapshot-names';
import { SNAPSHOT_ID } from './fixtures';

describe('snapshotIdentifierFor', () => {
  const trickyNames = [
    'release-1.4.0',
    'Release_2026--11--24__HOTFIX',
    '2026-11-24-release',
    '___',
    '-leading-and-trailing-',
    'déploiement-été',
    'x'.repeat(80),
    `${'a'.repeat(38)}-${'b'.repeat(41)}`,
    `${'a'.repeat(39)}.${'b'.repeat(40)}`,
    '(release)!@+=.1',
  ];

  it.each(trickyNames)('makes a valid RDS snapshot identifier from %j', (name) => {
    // Act
    const identifier = snapshotIdentifierFor(name);

    // Assess
    expect(identifier.startsWith(SNAPSHOT_PREFIX)).toBe(true);
    expect(identifier.length).toBeLessThanOrEqual(SNAPSHOT_IDENTIFIER_MAX_LENGTH);
    expect(identifier).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
    expect(identifier).not.toContain('--');
    expect(snapshotIdentifierFor(name)).toBe(identifier);
  });

  it('is pinned for a known name and uses at most 63 characters for the longest execution name', () => {
    // Act & Assess
    expect(snapshotIdentifierFor('release-1.4.0')).toBe(SNAPSHOT_ID);
    expect(snapshotIdentifierFor('x'.repeat(80))).toHaveLength(63);
    expect(snapshotIdentifierFor('___')).toMatch(/^deploymentcrew-[0-9a-f]{8}$/);
    expect(snapshotIdentifierFor('déploiement-été')).toMatch(/^deploymentcrew-deploiement-ete-[0-9a-f]{8}$/);
  });

  it('keeps names apart that differ only in case, punctuation or after the truncation point', () => {
    // Prepare
    const names = ['Release-1', 'release-1', 'release.1', 'release_1', `${'r'.repeat(60)}-a`, `${'r'.repeat(60)}-b`];

    // Act
    const identifiers = new Set(names.map((name) => snapshotIdentifierFor(name)));

    // Assess
    expect(identifiers.size).toBe(names.length);
  });
});
