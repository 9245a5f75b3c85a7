import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ALARM_ROUTES, CHAIRMAN, LISTENER } from '../support/rollback-trigger-world';

/**
 * The rollback trigger builds at load only the clients every request calls on its way to traffic back (the lock's
 * DynamoDB, the listener's ELB, Step Functions for the bake's token): Lambda may run that while no event waits. The
 * CloudWatch client re-reads an alarm whose event is in doubt, which most cold starts never see: it is built by the
 * first request that needs it (lambdas/shared/aws-clients.ts deferredClient). rollback-trigger.test.ts drives a late
 * event through that client.
 */

const built = vi.hoisted(() => ({ counts: new Map<string, number>() }));

/** The module with its client class replaced by a subclass that counts the instances made. */
async function countingClient<Module extends object>(original: Module, className: keyof Module & string) {
  const Base = original[className] as unknown as new (...args: unknown[]) => object;
  class Counted extends Base {
    constructor(...args: unknown[]) {
      super(...args);
      built.counts.set(className, (built.counts.get(className) ?? 0) + 1);
    }
  }
  return { ...original, [className]: Counted };
}

vi.mock('@aws-sdk/client-cloudwatch', async (importOriginal) =>
  countingClient(await importOriginal<typeof import('@aws-sdk/client-cloudwatch')>(), 'CloudWatchClient'),
);
vi.mock('@aws-sdk/client-dynamodb', async (importOriginal) =>
  countingClient(await importOriginal<typeof import('@aws-sdk/client-dynamodb')>(), 'DynamoDBClient'),
);
vi.mock('@aws-sdk/client-elastic-load-balancing-v2', async (importOriginal) =>
  countingClient(
    await importOriginal<typeof import('@aws-sdk/client-elastic-load-balancing-v2')>(),
    'ElasticLoadBalancingV2Client',
  ),
);
vi.mock('@aws-sdk/client-sfn', async (importOriginal) =>
  countingClient(await importOriginal<typeof import('@aws-sdk/client-sfn')>(), 'SFNClient'),
);

describe('rollback trigger (index.ts): the clients built at load', () => {
  beforeAll(async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('TABLE_NAME', 'DeploymentCrewState');
    vi.stubEnv('LOCK_KEY', `LOCK#${LISTENER}`);
    vi.stubEnv('LISTENER_ARN', LISTENER);
    vi.stubEnv('ALARM_ROUTES', JSON.stringify(ALARM_ROUTES));
    vi.stubEnv('APPROVERS', JSON.stringify([CHAIRMAN]));
    vi.stubEnv('ACCOUNT_ID', '123456789012');
  });

  afterAll(() => {
    vi.unstubAllEnvs();
  });

  it('builds DynamoDB, ELB and Step Functions clients when it loads, and no CloudWatch client', async () => {
    // Act
    const { handler } = await import('../../lambdas/rollback-trigger/index');

    // Assess
    expect(handler).toBeTypeOf('function');
    expect(Object.fromEntries(built.counts)).toEqual({
      DynamoDBClient: 1,
      ElasticLoadBalancingV2Client: 1,
      SFNClient: 1,
    });
  });
});
