import { createHash } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-rds';
import type { DeploymentRef } from '../../shared/contracts';
import {
  MANAGED_BY,
  NAME_HASH_LENGTH,
  SNAPSHOT_IDENTIFIER_MAX_LENGTH,
  SNAPSHOT_PREFIX,
  TAG_DEPLOYMENT,
  TAG_EXECUTION_ARN,
  TAG_MANAGED_BY,
  toTagValue,
} from '../../shared/rds-names';

/** What a deployment's snapshot is called and tagged with (the shared names and tags are in shared/rds-names). */

/** Tolerated clock difference between Step Functions (execution start) and RDS (snapshot creation time). */
export const CLOCK_SKEW_MS = 5_000;

/**
 * `<prefix><name as lower-case letters, digits and single hyphens, truncated>-<8 hex of sha256(name)>`, the prefix
 * being the stack's (snapshotPrefixFor; SNAPSHOT_PREFIX alone when none is given): deterministic, at most 63
 * characters, starts with a letter, no double or trailing hyphen. The hash keeps names that differ only in case,
 * punctuation or beyond the truncation apart.
 */
export function snapshotIdentifierFor(deploymentName: string, prefix: string = SNAPSHOT_PREFIX): string {
  const hash = createHash('sha256').update(deploymentName, 'utf8').digest('hex').slice(0, NAME_HASH_LENGTH);
  const room = SNAPSHOT_IDENTIFIER_MAX_LENGTH - prefix.length - NAME_HASH_LENGTH - 1;
  const slug = deploymentName
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, room)
    .replace(/-$/, '');
  return slug === '' ? `${prefix}${hash}` : `${prefix}${slug}-${hash}`;
}

export function snapshotTags(deployment: DeploymentRef): Tag[] {
  return [
    { Key: TAG_DEPLOYMENT, Value: toTagValue(deployment.name) },
    { Key: TAG_EXECUTION_ARN, Value: toTagValue(deployment.executionArn) },
    { Key: TAG_MANAGED_BY, Value: MANAGED_BY },
  ];
}
