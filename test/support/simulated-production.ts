import {
  CreateDBSnapshotCommand,
  type DBSnapshot,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import { createPreDeploymentValidator, preDeploymentRequestSchema } from '../../lambdas/pre-deployment-validator/agent';
import type { ResolvedHealthChecksConfig } from '../../lambdas/pre-deployment-validator/config';
import { createBackupTool } from '../../lambdas/tools/backup';
import { createDependencyMonitor } from '../../lambdas/tools/dependency-monitor';
import { asLambda } from './local-integrations';

/**
 * A small simulated production for workflow tests: HTTP endpoints with a chosen status, and an RDS instance whose
 * snapshots progress from `creating` to a final status. The agents' real tools run against it (the real backup tool
 * through a mocked RDS client, the real dependency monitor through a fake fetch), so a workflow test exercises the
 * same code a Lambda runs.
 */

export const DATABASE_IDENTIFIER = 'shop-prod-db';

export interface EndpointBehaviour {
  readonly name: string;
  readonly critical: boolean;
  /** HTTP status answered, or `unreachable` for a connection error. */
  readonly answers: number | 'unreachable';
}

export interface SnapshotBehaviour {
  /** Describes that answer `creating` before the final status. */
  readonly pollsUntilDone?: number;
  readonly finalStatus?: 'available' | 'failed';
  /** An RDS error name CreateDBSnapshot fails with, every time. */
  readonly createFailsWith?: string;
  /** CreateDBSnapshot is throttled this many times before it succeeds. */
  readonly throttleCreate?: number;
  /** CreateDBSnapshot finds the instance busy (InvalidDBInstanceStateFault) this many times before it succeeds. */
  readonly busyCreate?: number;
  /** The snapshot's engine version differs from the instance's (verification must catch it). */
  readonly engineVersionDrift?: boolean;
}

export interface SimulatedProductionOptions {
  readonly endpoints?: readonly EndpointBehaviour[];
  readonly snapshot?: SnapshotBehaviour;
}

const DEFAULT_ENDPOINTS: readonly EndpointBehaviour[] = [
  { name: 'api', critical: true, answers: 200 },
  { name: 'stripe', critical: true, answers: 200 },
  { name: 'email', critical: false, answers: 200 },
];

function rdsError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return Object.assign(error, { $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

export class SimulatedProduction {
  readonly rdsCalls: string[] = [];
  readonly httpCalls: string[] = [];
  private readonly snapshots = new Map<string, DBSnapshot & { polls: number }>();
  private createThrottlesLeft: number;
  private createBusyLeft: number;

  constructor(private readonly options: SimulatedProductionOptions = {}) {
    this.createThrottlesLeft = options.snapshot?.throttleCreate ?? 0;
    this.createBusyLeft = options.snapshot?.busyCreate ?? 0;
  }

  get healthConfig(): ResolvedHealthChecksConfig {
    const endpoints = this.options.endpoints ?? DEFAULT_ENDPOINTS;
    const target = (endpoint: EndpointBehaviour) => ({
      name: endpoint.name,
      url: `https://${endpoint.name}.shop.test/health`,
      expectedStatus: 200,
      timeoutMs: 1000,
    });
    return {
      endpoints: endpoints.filter((endpoint) => endpoint.name === 'api').map(target),
      dependencies: endpoints
        .filter((endpoint) => endpoint.name !== 'api')
        .map((endpoint) => ({ ...target(endpoint), critical: endpoint.critical })),
      retries: 1,
    };
  }

  private readonly fetch = async (url: string): Promise<Response> => {
    this.httpCalls.push(url);
    const endpoint = (this.options.endpoints ?? DEFAULT_ENDPOINTS).find((e) => url.startsWith(`https://${e.name}.`));
    if (endpoint === undefined || endpoint.answers === 'unreachable') throw new TypeError('fetch failed');
    return new Response(null, { status: endpoint.answers });
  };

  /** An RDS client whose every call the simulation answers; any other command fails the test. */
  rdsClient(): RDSClient {
    const client = new RDSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const rds = mockClient(client);
    const behaviour = this.options.snapshot ?? {};
    rds.onAnyCommand().rejects(new Error('the simulated production does not model this RDS command'));
    rds.on(CreateDBSnapshotCommand).callsFake((input: { DBSnapshotIdentifier: string; Tags?: unknown[] }) => {
      this.rdsCalls.push(`CreateDBSnapshot ${input.DBSnapshotIdentifier}`);
      if (this.createThrottlesLeft > 0) {
        this.createThrottlesLeft -= 1;
        throw rdsError('ThrottlingException', 'Rate exceeded');
      }
      if (this.createBusyLeft > 0) {
        this.createBusyLeft -= 1;
        throw rdsError('InvalidDBInstanceStateFault', 'DB instance is currently backing-up');
      }
      if (behaviour.createFailsWith) throw rdsError(behaviour.createFailsWith, 'simulated failure');
      if (this.snapshots.has(input.DBSnapshotIdentifier)) {
        throw rdsError('DBSnapshotAlreadyExistsFault', 'exists');
      }
      const snapshot = {
        // The local run stamps the execution's StartTime with the wall clock, so the snapshot does too.
        ...this.snapshotShape(input.DBSnapshotIdentifier, 'creating', new Date()),
        TagList: input.Tags as DBSnapshot['TagList'],
        polls: 0,
      };
      this.snapshots.set(input.DBSnapshotIdentifier, snapshot);
      return { DBSnapshot: snapshot };
    });
    rds.on(DescribeDBSnapshotsCommand).callsFake((input: { DBSnapshotIdentifier: string }) => {
      this.rdsCalls.push(`DescribeDBSnapshots ${input.DBSnapshotIdentifier}`);
      const snapshot = this.snapshots.get(input.DBSnapshotIdentifier);
      if (!snapshot) throw rdsError('DBSnapshotNotFoundFault', 'not found');
      snapshot.polls += 1;
      if (snapshot.polls > (behaviour.pollsUntilDone ?? 2)) snapshot.Status = behaviour.finalStatus ?? 'available';
      return { DBSnapshots: [snapshot] };
    });
    rds.on(DescribeDBInstancesCommand).callsFake(() => {
      this.rdsCalls.push('DescribeDBInstances');
      return {
        DBInstances: [
          {
            DBInstanceIdentifier: DATABASE_IDENTIFIER,
            Engine: 'postgres',
            EngineVersion: '16.4',
            AllocatedStorage: 100,
            StorageEncrypted: true,
            KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/db-key',
          },
        ],
      };
    });
    return client;
  }

  private snapshotShape(identifier: string, status: string, createdAt: Date): DBSnapshot {
    return {
      DBSnapshotIdentifier: identifier,
      DBSnapshotArn: `arn:aws:rds:eu-west-1:123456789012:snapshot:${identifier}`,
      DBInstanceIdentifier: DATABASE_IDENTIFIER,
      Status: status,
      SnapshotCreateTime: createdAt,
      Engine: 'postgres',
      EngineVersion: this.options.snapshot?.engineVersionDrift ? '15.8' : '16.4',
      AllocatedStorage: 100,
      Encrypted: true,
      KmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/db-key',
    };
  }

  /** The PreDeploymentValidator agent with its real tools, behind the same schema and error renaming as its Lambda. */
  preDeploymentValidator() {
    const agent = createPreDeploymentValidator({
      dependencyMonitor: createDependencyMonitor(this.healthConfig, { fetchImpl: this.fetch, minBackoffMs: 0 }),
      backup: createBackupTool(this.rdsClient(), { kind: 'instance', identifier: DATABASE_IDENTIFIER }),
    });
    return asLambda(async (input: unknown) => agent(preDeploymentRequestSchema.parse(input)));
  }
}
