import type { RDSClient } from '@aws-sdk/client-rds';
import { RdsBackupTool } from './backup-tool';
import { clusterAdapter, instanceAdapter } from './rds-adapters';
import type { BackupTool, BackupToolOptions, DatabaseTarget } from './types';

/**
 * backup_tool: a manual RDS snapshot per deployment, created once (the identifier is derived from the execution name,
 * so a retried task finds its own snapshot instead of making a second one), polled by the state machine, and verified
 * against its source before anything changes in production.
 */

export { CLOCK_SKEW_MS, snapshotIdentifierFor, snapshotTags } from './snapshot-names';
export type { BackupTool, BackupToolOptions, CreatedSnapshot, DatabaseTarget } from './types';

/** Picks the instance or the cluster implementation. */
export function createBackupTool(
  client: RDSClient,
  target: DatabaseTarget,
  options: BackupToolOptions = {},
): BackupTool {
  return target.kind === 'instance'
    ? createInstanceBackupTool(client, target.identifier, options)
    : createClusterBackupTool(client, target.identifier, options);
}

export function createInstanceBackupTool(
  client: RDSClient,
  instanceIdentifier: string,
  options: BackupToolOptions = {},
): BackupTool {
  return new RdsBackupTool(
    instanceAdapter(client),
    instanceIdentifier,
    options.clock ?? (() => new Date()),
    options.snapshotPrefix,
  );
}

export function createClusterBackupTool(
  client: RDSClient,
  clusterIdentifier: string,
  options: BackupToolOptions = {},
): BackupTool {
  return new RdsBackupTool(
    clusterAdapter(client),
    clusterIdentifier,
    options.clock ?? (() => new Date()),
    options.snapshotPrefix,
  );
}
