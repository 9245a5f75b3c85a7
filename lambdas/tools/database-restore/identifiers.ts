import { createHash } from 'node:crypto';
import type { Tag } from '@aws-sdk/client-rds';
import {
  MANAGED_BY,
  NAME_HASH_LENGTH,
  preservedIdentifierPrefix,
  restoredMemberPrefix,
  TAG_DEPLOYMENT,
  TAG_MANAGED_BY,
  TAG_PRESERVED_AS,
  TAG_PROMOTED,
  TAG_RESTORED_AT,
  TAG_RESTORED_FROM,
  TAG_TEMPORARY_MEMBER,
  temporaryIdentifierPrefix,
  toTagValue,
} from '../../shared/rds-names';

/**
 * The names and tags of a database restore: the preserved and temporary identifiers, the restored Aurora members'
 * identifiers, and the tags that mark a restored database as this rollback's.
 */

/** RDS allows 50 tags per resource. */
const MAX_TAGS = 50;

function shortHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, NAME_HASH_LENGTH);
}

/**
 * `<id>-pre-rb-<8 hex of sha256(deployment name)>`, at most 63 characters: deterministic per deployment, so a
 * retried step finds the database it renamed, and distinct from the preserved copy of another deployment.
 */
export function preservedIdentifierFor(identifier: string, deploymentName: string): string {
  return `${preservedIdentifierPrefix(identifier)}${shortHash(deploymentName)}`;
}

/** `<id>-rb-new-<8 hex of sha256(deployment name)>`: where the snapshot is restored before any swap. */
export function temporaryIdentifierFor(identifier: string, deploymentName: string): string {
  return `${temporaryIdentifierPrefix(identifier)}${shortHash(deploymentName)}`;
}

/**
 * The new Aurora instance that copies source member `<member>` into temporary cluster `<id>-rb-new-<hash>`:
 * `<id>-rb-new-<hash>-<8 hex of sha256(member)>` (restoredMemberPrefix). Named after the temporary cluster, so IAM
 * can anchor on the database (`…:db:<id>-rb-new-*`) instead of every `*-rb` instance of the account; derived from the
 * source member's name, so a failover during the restore cannot pair a copy with another member.
 */
export function restoredMemberIdentifier(
  originalIdentifier: string,
  temporaryIdentifier: string,
  memberIdentifier: string,
): string {
  const copyHash = temporaryIdentifier.slice(-NAME_HASH_LENGTH);
  return `${restoredMemberPrefix(originalIdentifier)}${copyHash}-${shortHash(memberIdentifier.toLowerCase())}`;
}

export function isPromoted(tags: readonly Tag[] | undefined): boolean {
  return tags?.some((tag) => tag.Key === TAG_PROMOTED) ?? false;
}

export function sameIdentifier(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

export interface RestoreTagInput {
  readonly snapshotIdentifier: string;
  readonly preservedIdentifier: string;
  readonly deploymentName?: string;
  readonly restoredAt: Date;
  /** An Aurora member's copy: the temporary cluster it is created in (TAG_TEMPORARY_MEMBER). */
  readonly temporaryClusterIdentifier?: string;
}

/**
 * Tags of the restored database: the preserved database's own tags (cost allocation, ownership), without `aws:` and
 * earlier `deployment-crew:` keys (an earlier rollback's TAG_PROMOTED would make this copy undeletable), plus this
 * rollback's. Within RDS's 50-tag limit, ours win.
 */
export function restoreTags(preservedTags: readonly Tag[] | undefined, input: RestoreTagInput): Tag[] {
  const ours: Tag[] = [
    { Key: TAG_RESTORED_FROM, Value: input.snapshotIdentifier },
    { Key: TAG_PRESERVED_AS, Value: input.preservedIdentifier },
    { Key: TAG_RESTORED_AT, Value: input.restoredAt.toISOString() },
    { Key: TAG_MANAGED_BY, Value: MANAGED_BY },
  ];
  if (input.deploymentName !== undefined) ours.push({ Key: TAG_DEPLOYMENT, Value: toTagValue(input.deploymentName) });
  if (input.temporaryClusterIdentifier !== undefined) {
    ours.push({ Key: TAG_TEMPORARY_MEMBER, Value: input.temporaryClusterIdentifier });
  }
  const theirs = (preservedTags ?? []).filter(
    (tag) =>
      tag.Key !== undefined &&
      !tag.Key.toLowerCase().startsWith('aws:') &&
      !tag.Key.startsWith('deployment-crew:') &&
      tag.Value !== undefined,
  );
  return [...theirs.slice(0, MAX_TAGS - ours.length), ...ours];
}

export function isOurRestore(tags: readonly Tag[] | undefined, snapshotIdentifier: string): boolean {
  return tags?.some((tag) => tag.Key === TAG_RESTORED_FROM && tag.Value === snapshotIdentifier) ?? false;
}
