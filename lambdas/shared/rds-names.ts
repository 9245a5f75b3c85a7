import { createHash } from 'node:crypto';
import * as v from 'valibot';
import { jsonEnvironmentVariable } from './config/environment';
import { strictObject } from './validation';

/**
 * Names and tags of the RDS resources DeploymentCrew creates. They are a contract between the stack and the tools:
 * the stack scopes IAM to these prefixes and suffixes, the tools give every snapshot, preserved database and
 * restored Aurora member a name that matches them. Change one side only through this file.
 */

/** Every snapshot identifier starts with this, then the stack's part (snapshotPrefixFor). */
export const SNAPSHOT_PREFIX = 'deploymentcrew-';
/** Characters of the stack name kept in a snapshot prefix (the hash keeps stacks apart; this is for people). */
const STACK_SLUG_LENGTH = 12;

/**
 * `deploymentcrew-<6 hex of sha256(stack name)>-<stack name, at most 12 characters>-`: the snapshots one stack makes.
 * Both the backup tool (naming) and the IAM policies (`…snapshot:<prefix>*`) use it, so a stack's role can restore
 * only its own snapshots. The hash comes first: no stack's prefix is a prefix of another stack's.
 */
export function snapshotPrefixFor(stackName: string): string {
  const hash = createHash('sha256').update(stackName, 'utf8').digest('hex').slice(0, 6);
  const slug = stackName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, STACK_SLUG_LENGTH)
    .replace(/-+$/, '');
  return slug === '' ? `${SNAPSHOT_PREFIX}${hash}-` : `${SNAPSHOT_PREFIX}${hash}-${slug}-`;
}

/** `SNAPSHOT_NAMING`: the stack's snapshot prefix, for the functions that make or restore snapshots. */
export const SNAPSHOT_NAMING = jsonEnvironmentVariable(
  'SNAPSHOT_NAMING',
  strictObject({ prefix: v.pipe(v.string(), v.regex(/^deploymentcrew-[0-9a-f]{6}-([a-z0-9-]+-)?$/)) }),
);
/** DB cluster snapshot identifiers allow 63 characters (DB snapshots 255): one limit for both kinds. */
export const SNAPSHOT_IDENTIFIER_MAX_LENGTH = 63;

/** RDS identifiers (instances and clusters): 1-63 letters, digits, hyphens; letter first; no `--`, no trailing `-`. */
export const RDS_IDENTIFIER_MAX_LENGTH = 63;
/** The production database renamed away during a database rollback: `<id>-pre-rb-<8 hex>`. */
export const PRESERVED_INFIX = '-pre-rb-';
/** The snapshot restored beside production, before any swap: `<id>-rb-new-<8 hex>`. */
export const TEMPORARY_INFIX = '-rb-new-';
/** Length of the hex hashes in generated names. */
export const NAME_HASH_LENGTH = 8;

export const TAG_DEPLOYMENT = 'deployment-crew:deployment';
export const TAG_EXECUTION_ARN = 'deployment-crew:execution-arn';
export const TAG_MANAGED_BY = 'deployment-crew:managed-by';
export const MANAGED_BY = 'deployment-crew';
export const TAG_RESTORED_FROM = 'deployment-crew:restored-from';
export const TAG_PRESERVED_AS = 'deployment-crew:preserved-as';
export const TAG_RESTORED_AT = 'deployment-crew:restored-at';
/**
 * On each Aurora member the restore creates, the temporary cluster's identifier. The role may delete an instance
 * only while it carries this tag and not TAG_PROMOTED.
 */
export const TAG_TEMPORARY_MEMBER = 'deployment-crew:temporary-member';
/**
 * Put on the copy's members (value: the production cluster) before the copy takes production's name. The role may
 * not remove tags, nor tag an instance that carries it: a member once promoted can never be deleted by the crew.
 */
export const TAG_PROMOTED = 'deployment-crew:promoted';

export function isValidRdsIdentifier(identifier: string): boolean {
  return (
    identifier.length <= RDS_IDENTIFIER_MAX_LENGTH &&
    /^[a-z][a-z0-9-]*$/.test(identifier) &&
    !identifier.includes('--') &&
    !identifier.endsWith('-')
  );
}

/** Lower-case (RDS stores identifiers in lower case), only letters, digits and single hyphens, letter first. */
export function normalizedStem(identifier: string): string {
  const stem = identifier
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z]+/, '');
  return stem === '' ? 'db' : stem;
}

/** `<stem trimmed to fit>` + suffix; the suffix must start with a hyphen and be a valid identifier tail. */
export function withSuffix(identifier: string, suffix: string): string {
  const room = RDS_IDENTIFIER_MAX_LENGTH - suffix.length;
  const stem = normalizedStem(identifier).slice(0, room).replace(/-+$/, '');
  return `${stem === '' ? 'db' : stem}${suffix}`;
}

/**
 * What the preserved identifiers of `identifier` start with: `<id>-pre-rb-`, the id trimmed so that the whole name
 * fits in 63 characters. The IAM policy scopes the preserved database's ARN with `…:db:<prefix>*` (or `cluster:`).
 */
export function preservedIdentifierPrefix(identifier: string): string {
  const full = withSuffix(identifier, `${PRESERVED_INFIX}${'0'.repeat(NAME_HASH_LENGTH)}`);
  return full.slice(0, full.length - NAME_HASH_LENGTH);
}

/**
 * What the temporary identifiers of `identifier` start with: `<id>-rb-new-`, trimmed like the preserved prefix. The
 * IAM policy scopes the restore, its modification and its deletion to `…:db:<prefix>*` (or `cluster:`).
 */
export function temporaryIdentifierPrefix(identifier: string): string {
  const full = withSuffix(identifier, `${TEMPORARY_INFIX}${'0'.repeat(NAME_HASH_LENGTH)}`);
  return full.slice(0, full.length - NAME_HASH_LENGTH);
}

/**
 * What the restored Aurora members of `identifier` start with: `<id>-rb-new-`, the id trimmed so that
 * `<prefix><8 hex of the temporary cluster>-<8 hex of the source member>` fits in 63 characters (for most ids the
 * same as temporaryIdentifierPrefix, so a member reads `<temporary cluster>-<8 hex>`). The IAM policy scopes the
 * members' creation, tagging and deletion to `…:db:<prefix>*`.
 */
export function restoredMemberPrefix(identifier: string): string {
  const hashes = `${'0'.repeat(NAME_HASH_LENGTH)}-${'0'.repeat(NAME_HASH_LENGTH)}`;
  const full = withSuffix(identifier, `${TEMPORARY_INFIX}${hashes}`);
  return full.slice(0, full.length - hashes.length);
}

/** RDS tag values allow letters, digits, white space and `_.:/=+-@`, up to 256 characters; execution names allow more. */
export function toTagValue(value: string): string {
  return value.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '_').slice(0, 256);
}
