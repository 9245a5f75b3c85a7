import {
  type DBCluster,
  type DBInstance,
  DescribeDBClusterEndpointsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBProxiesCommand,
  DescribeDBProxyTargetsCommand,
  type RDSClient,
  type Tag,
} from '@aws-sdk/client-rds';
import type { DatabaseRestoreState } from '../../shared/cutover-contracts';
import { unlessNotFound } from '../../shared/errors';
import type { CheckSettings, Dependents, SourceFacts } from './prechecks';
import { orderedMembers } from './restore-inputs';

/**
 * What the instance and the cluster swaps share: the RDS client, the settings, the reads (`describe…`, with the
 * retries that eventual consistency needs), and the interface each kind implements for the phases in swap-steps.
 */

export type DatabaseRestoreProgress = DatabaseRestoreState;
/** The progress a step takes in (with `polls` already counted) and returns. */
export type Step = DatabaseRestoreProgress;

/** A database as the phases see it, instance or cluster. */
export interface DatabaseView {
  readonly identifier: string;
  readonly status: string;
  readonly resourceId: string | undefined;
  /** Groups in effect (not `removing`). */
  readonly securityGroupIds: readonly string[];
  /** A group change is still being applied (a group not yet `active`). */
  readonly securityGroupsChanging: boolean;
  readonly deletionProtection: boolean;
  readonly tags: readonly Tag[];
}

/** The source database, read for the pre-checks, with the restore built from what was read. */
export interface InspectedSource {
  readonly view: DatabaseView;
  readonly facts: SourceFacts;
  /** A reason the source cannot be handled at all (configured as the wrong kind). */
  readonly unsupported?: string;
  /** The one mutating call of the CHECKING step: the snapshot restored under `temporaryIdentifier`. */
  restore(step: Step, tags: Tag[]): Promise<void>;
}

export type Preparation =
  | { readonly state: 'ready'; readonly resourceId: string; readonly securityGroupIds: readonly string[] }
  | { readonly state: 'waiting'; readonly reason: string; readonly modified?: boolean }
  | { readonly state: 'failed'; readonly reason: string };

/** One kind of database (instance, cluster): reads and the single mutating calls the phases make. */
export interface SwapTarget {
  readonly label: string;
  describe(identifier: string): Promise<DatabaseView | undefined>;
  inspect(identifier: string): Promise<InspectedSource | undefined>;
  dependents(identifier: string): Promise<Dependents>;
  /** RESTORING: waits for the copy, sends what a restore cannot take (once), verifies it against the source. */
  prepare(step: Step): Promise<Preparation>;
  setSecurityGroups(identifier: string, groupIds: readonly string[]): Promise<void>;
  rename(from: string, to: string, deletionProtection?: boolean): Promise<void>;
  /** Marks the copy as production just before it takes the name (Aurora: its members, see ClusterSwap). */
  promote?(step: Step): Promise<void>;
  /** One deletion call towards removing the temporary copy; `undefined` once it is gone, else what is awaited. */
  removeTemporary(step: Step): Promise<string | undefined>;
}

export interface SwapSettings extends CheckSettings {
  readonly keepTemporaryCopyOnFailure: boolean;
  /** The last step at which the fence may go on; undefined: no limit. */
  readonly lastFencePoll: number | undefined;
}

/** After a create call RDS may not list the new database for a moment: NotFound is retried this often first. */
export const NOT_FOUND_RETRY_DELAYS_MS = [1_000, 2_000, 4_000] as const;

export class RdsReads {
  constructor(
    readonly client: RDSClient,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async instance(identifier: string): Promise<DBInstance | undefined> {
    const output = await unlessNotFound('DBInstanceNotFoundFault', () =>
      this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: identifier })),
    );
    return output?.DBInstances?.[0];
  }

  async cluster(identifier: string): Promise<DBCluster | undefined> {
    const output = await unlessNotFound('DBClusterNotFoundFault', () =>
      this.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: identifier })),
    );
    return output?.DBClusters?.[0];
  }

  /** A database this rollback created: NotFound right after the create call is eventual consistency, retried. */
  async created<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
    let found = await read();
    for (const delay of NOT_FOUND_RETRY_DELAYS_MS) {
      if (found !== undefined) return found;
      await this.sleep(delay);
      found = await read();
    }
    return found;
  }

  /** The cluster's member instances, one Describe each (scoped ARNs; no account-wide listing). */
  async members(cluster: DBCluster): Promise<DBInstance[]> {
    const members: DBInstance[] = [];
    for (const member of orderedMembers(cluster)) {
      const instance = await this.instance(member.DBInstanceIdentifier ?? '');
      if (instance !== undefined) members.push(instance);
    }
    return members;
  }

  /** Names of the RDS proxies with a target on this database (`RDS_INSTANCE` or `TRACKED_CLUSTER`). */
  async proxiesTargeting(identifier: string, targetType: 'RDS_INSTANCE' | 'TRACKED_CLUSTER'): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeDBProxiesCommand({ Marker: marker }));
      for (const proxy of page.DBProxies ?? []) {
        if (proxy.DBProxyName === undefined) continue;
        if (await this.proxyTargets(proxy.DBProxyName, identifier, targetType)) names.push(proxy.DBProxyName);
      }
      marker = page.Marker;
    } while (marker !== undefined);
    return names;
  }

  private async proxyTargets(proxy: string, identifier: string, targetType: string): Promise<boolean> {
    let marker: string | undefined;
    do {
      const page = await this.client.send(new DescribeDBProxyTargetsCommand({ DBProxyName: proxy, Marker: marker }));
      const hit = (page.Targets ?? []).some(
        (target) => target.Type === targetType && target.RdsResourceId?.toLowerCase() === identifier.toLowerCase(),
      );
      if (hit) return true;
      marker = page.Marker;
    } while (marker !== undefined);
    return false;
  }

  async customEndpoints(clusterIdentifier: string): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new DescribeDBClusterEndpointsCommand({ DBClusterIdentifier: clusterIdentifier, Marker: marker }),
      );
      for (const endpoint of page.DBClusterEndpoints ?? []) {
        if (endpoint.EndpointType?.toUpperCase() === 'CUSTOM') {
          names.push(endpoint.DBClusterEndpointIdentifier ?? endpoint.Endpoint ?? 'unnamed');
        }
      }
      marker = page.Marker;
    } while (marker !== undefined);
    return names;
  }
}

export function activeGroups(groups: readonly { VpcSecurityGroupId?: string; Status?: string }[] | undefined): {
  ids: string[];
  changing: boolean;
} {
  const list = groups ?? [];
  return {
    ids: list
      .filter((group) => group.Status !== 'removing' && group.Status !== 'inactive')
      .map((group) => group.VpcSecurityGroupId)
      .filter((id): id is string => id !== undefined),
    changing: list.some((group) => group.Status !== undefined && group.Status !== 'active'),
  };
}
