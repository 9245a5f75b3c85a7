import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateDBSnapshotCommand, RDSClient, RDSServiceException } from '@aws-sdk/client-rds';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import * as v from 'valibot';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createPreDeploymentValidator,
  type PreDeploymentRequest,
  preDeploymentRequestSchema,
} from '../../lambdas/pre-deployment-validator/agent';
import { healthChecksConfigSchema, worstCaseHealthCheckMs } from '../../lambdas/shared/config/pre-deployment-validator';
import type {
  ApprovalDecision,
  BackupMetadata,
  DependencyMatrix,
  DeploymentRef,
  SnapshotRef,
} from '../../lambdas/shared/contracts';
import type { Release } from '../../lambdas/shared/deployment-request';
import { PreDeploymentValidationFailedError } from '../../lambdas/shared/errors';
import type { BackupTool } from '../../lambdas/tools/backup';
import type { DependencyMonitor } from '../../lambdas/tools/dependency-monitor';
import { rejection, serviceThrottling } from '../support/errors';

const NOW = new Date('2026-11-24T10:30:00.000Z');

const deployment: DeploymentRef = {
  name: 'release-1.4.0',
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:release-1.4.0',
  startedAt: '2026-11-24T10:00:00.000Z',
};

const snapshot: SnapshotRef = {
  kind: 'instance',
  identifier: 'deploymentcrew-release-1-4-0-9d7c36ba',
  arn: 'arn:aws:rds:eu-west-1:123456789012:snapshot:deploymentcrew-release-1-4-0-9d7c36ba',
  sourceIdentifier: 'orders-db',
  requestedAt: '2026-11-24T10:00:05.000Z',
};

const backupMetadata: BackupMetadata = {
  kind: 'instance',
  identifier: snapshot.identifier,
  arn: snapshot.arn,
  sourceIdentifier: 'orders-db',
  createdAt: '2026-11-24T10:00:06.000Z',
  engine: 'postgres',
  engineVersion: '16.4',
  allocatedStorageGiB: 100,
  encrypted: true,
  kmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/1111',
  status: 'available',
  verifiedAt: '2026-11-24T10:20:00.000Z',
};

const release: Release = { version: '1.4.0', image: 'registry.example.com/orders:1.4.0', schemaChange: true };

const approval: ApprovalDecision = {
  approved: true,
  kind: 'START',
  approver: { identity: 'arn:aws:iam::123456789012:user/chairman', verified: true },
  answeredAt: '2026-11-24T10:10:00.000Z',
};

const healthyMatrix = {
  checkedAt: '2026-11-24T10:00:10.000Z',
  healthy: true,
  entries: [
    {
      name: 'api',
      kind: 'health-endpoint',
      url: 'https://api.example.com/health',
      critical: true,
      status: 'UP',
      expectedStatus: 200,
      httpStatus: 200,
      latencyMs: 21,
      attempts: 1,
    },
    {
      name: 'search',
      kind: 'external-dependency',
      url: 'https://search.example.com/ping',
      critical: false,
      status: 'DOWN',
      expectedStatus: 200,
      httpStatus: null,
      latencyMs: 3002,
      attempts: 3,
      error: 'timed out after 3000 ms',
    },
  ],
  warnings: ["non-critical dependency 'search' is DOWN: timed out after 3000 ms (3002 ms, 3 attempts)"],
} satisfies DependencyMatrix;

const unhealthyMatrix = {
  ...healthyMatrix,
  healthy: false,
  entries: [
    {
      ...(healthyMatrix.entries[0] as DependencyMatrix['entries'][number]),
      status: 'DOWN',
      httpStatus: 503,
      latencyMs: 48,
      attempts: 3,
      error: 'HTTP 503, expected 200',
    },
    {
      name: 'payments',
      kind: 'external-dependency',
      url: 'https://payments.example.com/ping',
      critical: true,
      status: 'DOWN',
      expectedStatus: 204,
      httpStatus: null,
      latencyMs: 1500,
      attempts: 3,
      error: 'connect ECONNREFUSED 10.0.0.1:443',
    },
    healthyMatrix.entries[1] as DependencyMatrix['entries'][number],
  ],
} satisfies DependencyMatrix;

/** Fake tools that record their calls. */
function fakeTools(matrix: DependencyMatrix = healthyMatrix) {
  const calls: { tool: string; args: unknown[] }[] = [];
  const dependencyMonitor: DependencyMonitor = {
    async check() {
      calls.push({ tool: 'dependencyMonitor.check', args: [] });
      return matrix;
    },
  };
  const backup: BackupTool = {
    kind: 'instance',
    async create(ref) {
      calls.push({ tool: 'backup.create', args: [ref] });
      return { ...snapshot, status: 'creating' };
    },
    async describe(ref) {
      calls.push({ tool: 'backup.describe', args: [ref] });
      return { status: 'available' };
    },
    async verify(ref, deploymentRef) {
      calls.push({ tool: 'backup.verify', args: [ref, deploymentRef] });
      return backupMetadata;
    },
  };
  return { calls, dependencyMonitor, backup, clock: () => NOW };
}

describe('pre-deployment validator agent', () => {
  it('checkHealth returns the dependency matrix when healthy', async () => {
    // Prepare
    const tools = fakeTools();
    const agent = createPreDeploymentValidator(tools);

    // Act
    const matrix = await agent({ action: 'checkHealth', deployment });

    // Assess
    expect(matrix).toBe(healthyMatrix);
    expect(tools.calls.map((call) => call.tool)).toEqual(['dependencyMonitor.check']);
  });

  it('checkHealth throws PreDeploymentValidationFailed (DEPLOY-001) listing each failed critical check', async () => {
    // Prepare
    const agent = createPreDeploymentValidator(fakeTools(unhealthyMatrix));

    // Act
    const error = await rejection(agent({ action: 'checkHealth', deployment }));

    // Assess
    expect(error).toBeInstanceOf(PreDeploymentValidationFailedError);
    expect(error.name).toBe('PreDeploymentValidationFailed');
    expect((error as PreDeploymentValidationFailedError).code).toBe('DEPLOY-001');
    expect(error.message).toBe(
      '2 critical checks failed: ' +
        'api (health-endpoint): HTTP 503, expected 200, 48 ms, 3 attempts; ' +
        'payments (external-dependency): connect ECONNREFUSED 10.0.0.1:443, 1500 ms, 3 attempts',
    );
  });

  it('createSnapshot returns the snapshot ref (without status), the status and polls 0', async () => {
    // Prepare
    const tools = fakeTools();
    const agent = createPreDeploymentValidator(tools);

    // Act
    const progress = await agent({ action: 'createSnapshot', deployment });

    // Assess
    expect(progress).toEqual({ snapshot, status: 'creating', polls: 0 });
    expect(tools.calls).toEqual([{ tool: 'backup.create', args: [deployment] }]);
  });

  it('describeSnapshot returns the status and counts the poll', async () => {
    // Prepare
    const tools = fakeTools();
    const agent = createPreDeploymentValidator(tools);

    // Act
    const progress = await agent({ action: 'describeSnapshot', deployment, snapshot, polls: 4 });

    // Assess
    expect(progress).toEqual({ snapshot, status: 'available', polls: 5 });
    expect(tools.calls).toEqual([{ tool: 'backup.describe', args: [snapshot] }]);
  });

  it('verifySnapshot returns the backup metadata of the verified snapshot', async () => {
    // Prepare
    const tools = fakeTools();
    const agent = createPreDeploymentValidator(tools);

    // Act
    const metadata = await agent({ action: 'verifySnapshot', deployment, snapshot });

    // Assess
    expect(metadata).toBe(backupMetadata);
    expect(tools.calls).toEqual([{ tool: 'backup.verify', args: [snapshot, deployment] }]);
  });

  it('buildReport assembles the validation report with the matrix warnings', async () => {
    // Prepare
    const tools = fakeTools();
    const agent = createPreDeploymentValidator(tools);

    // Act
    const report = await agent({
      action: 'buildReport',
      deployment,
      release,
      requestedBy: 'pipeline:orders-main',
      approval,
      health: healthyMatrix,
      backup: backupMetadata,
    });

    // Assess
    expect(report).toEqual({
      deployment,
      release,
      requestedBy: 'pipeline:orders-main',
      approval,
      dependencyMatrix: healthyMatrix,
      warnings: ["non-critical dependency 'search' is DOWN: timed out after 3000 ms (3002 ms, 3 attempts)"],
      backup: backupMetadata,
      passed: true,
      generatedAt: NOW.toISOString(),
    });
    expect(tools.calls).toEqual([]);
  });

  it('buildReport refuses an unhealthy matrix: a report never says passed for it', async () => {
    // Prepare
    const agent = createPreDeploymentValidator(fakeTools());

    // Act
    const error = await rejection(
      agent({
        action: 'buildReport',
        deployment,
        release,
        requestedBy: 'pipeline',
        approval,
        health: unhealthyMatrix,
        backup: backupMetadata,
      }),
    );

    // Assess
    expect(error.name).toBe('PreDeploymentValidationFailed');
  });
});

describe('pre-deployment request schema', () => {
  it('accepts what the agent returns as the next request (matrix and metadata round-trip)', () => {
    // Prepare
    const request = {
      action: 'buildReport',
      deployment,
      release,
      requestedBy: 'pipeline',
      approval,
      health: JSON.parse(JSON.stringify(healthyMatrix)),
      backup: JSON.parse(JSON.stringify(backupMetadata)),
    };

    // Act
    const parsed = v.safeParse(preDeploymentRequestSchema, request);

    // Assess
    expect(parsed.success).toBe(true);
  });

  it.each([
    ['an unknown action', { action: 'dropDatabase', deployment }],
    ['an extra field', { action: 'checkHealth', deployment, force: true }],
    ['a missing polls', { action: 'describeSnapshot', deployment, snapshot }],
    ['negative polls', { action: 'describeSnapshot', deployment, snapshot, polls: -1 }],
    [
      'an extra snapshot field',
      { action: 'verifySnapshot', deployment, snapshot: { ...snapshot, status: 'available' } },
    ],
    [
      'a backup that is not available',
      {
        action: 'buildReport',
        deployment,
        release,
        requestedBy: 'p',
        approval,
        health: healthyMatrix,
        backup: { ...backupMetadata, status: 'creating' },
      },
    ],
  ])('rejects %s', (_label, request) => {
    // Act
    const parsed = v.safeParse(preDeploymentRequestSchema, request);

    // Assess
    expect(parsed.success).toBe(false);
  });
});

describe('pre-deployment config', () => {
  it('applies defaults and rejects duplicate names', () => {
    // Act
    const parsed = v.parse(healthChecksConfigSchema, {
      endpoints: [{ name: 'api', url: 'https://api.example.com/health' }],
      dependencies: [{ name: 'search', url: 'https://search.example.com/ping', critical: false }],
    });
    const duplicate = v.safeParse(healthChecksConfigSchema, {
      endpoints: [{ name: 'api', url: 'https://api.example.com/health' }],
      dependencies: [{ name: 'api', url: 'https://other.example.com/ping' }],
    });

    // Assess
    expect(parsed).toEqual({
      endpoints: [{ name: 'api', url: 'https://api.example.com/health', expectedStatus: 200, timeoutMs: 3000 }],
      dependencies: [
        {
          name: 'search',
          url: 'https://search.example.com/ping',
          expectedStatus: 200,
          timeoutMs: 3000,
          critical: false,
        },
      ],
      retries: 2,
    });
    expect(duplicate.success).toBe(false);
    expect(worstCaseHealthCheckMs({ endpoints: [{ name: 'api', url: 'https://api.example.com/health' }] })).toBe(
      3 * 3000 + 250 + 500,
    );
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The real handler: env config, schema validation and error names as Step Functions sees them.

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'DeploymentCrew-PreDeploymentValidator',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:DeploymentCrew-PreDeploymentValidator',
  memoryLimitInMB: '256',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  logGroupName: '/aws/lambda/DeploymentCrew-PreDeploymentValidator',
  logStreamName: '2026/11/24/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

describe('pre-deployment validator handler', () => {
  const rds = mockClient(RDSClient);
  let handler: Handler;

  beforeAll(async () => {
    // A port nothing listens on: the health endpoint is refused at once, without leaving 127.0.0.1.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv(
      'HEALTH_CHECKS',
      JSON.stringify({
        endpoints: [{ name: 'api', url: `http://127.0.0.1:${port}/health`, timeoutMs: 500 }],
        retries: 0,
      }),
    );
    vi.stubEnv('DATABASE', JSON.stringify({ kind: 'instance', identifier: 'orders-db' }));
    vi.stubEnv('SNAPSHOT_NAMING', JSON.stringify({ prefix: 'deploymentcrew-0a1b2c-shop-' }));
    ({ handler } = await import('../../lambdas/pre-deployment-validator/index'));
  });

  beforeEach(() => {
    rds.reset();
  });

  afterAll(() => {
    rds.restore();
    vi.unstubAllEnvs();
  });

  it('rejects an invalid request with InvalidInput naming the field', async () => {
    // Act
    const error = await rejection(handler({ action: 'describeSnapshot', deployment, snapshot }, lambdaContext));

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toContain('polls');
    expect(rds.calls()).toHaveLength(0);
  });

  it('creates the snapshot through the RDS client', async () => {
    // Prepare
    rds.on(CreateDBSnapshotCommand).resolves({
      DBSnapshot: { DBSnapshotIdentifier: snapshot.identifier, DBSnapshotArn: snapshot.arn, Status: 'creating' },
    });
    const request: PreDeploymentRequest = { action: 'createSnapshot', deployment };

    // Act
    const result = await handler(request, lambdaContext);

    // Assess: named with the stack's prefix from SNAPSHOT_NAMING
    const stackSnapshot = 'deploymentcrew-0a1b2c-shop-release-1-4-0-9d7c36ba';
    expect(result).toMatchObject({
      snapshot: { identifier: stackSnapshot, sourceIdentifier: 'orders-db' },
      status: 'creating',
      polls: 0,
    });
    expect(rds.commandCalls(CreateDBSnapshotCommand)[0]?.args[0].input).toMatchObject({
      DBSnapshotIdentifier: stackSnapshot,
      DBInstanceIdentifier: 'orders-db',
    });
  });

  it('surfaces RDS throttling as TransientAwsError for the state machine to retry', async () => {
    // Prepare
    rds.on(CreateDBSnapshotCommand).rejects(serviceThrottling(RDSServiceException, 'Throttling'));

    // Act
    const error = await rejection(handler({ action: 'createSnapshot', deployment }, lambdaContext));

    // Assess
    expect(error.name).toBe('TransientAwsError');
    expect(error.message).toContain('Rate exceeded');
  });

  it('keeps the PreDeploymentValidationFailed name when a critical health endpoint is down', async () => {
    // Act
    const error = await rejection(handler({ action: 'checkHealth', deployment }, lambdaContext));

    // Assess
    expect(error.name).toBe('PreDeploymentValidationFailed');
    expect(error.message).toMatch(
      /^1 critical check failed: api \(health-endpoint\): .*ECONNREFUSED.*, \d+ ms, 1 attempt$/,
    );
  });
});
