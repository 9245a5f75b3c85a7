import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetExecutionHistoryCommand, paginateGetExecutionHistory, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deferredClient } from '../../lambdas/shared/aws-clients';

/** lambdas/shared/aws-clients.ts deferredClient: a client some actions call is built by the first one that does. */

class CountingClient {
  static built = 0;
  readonly region: string;
  sent: string[] = [];
  constructor(readonly settings: { readonly region: string }) {
    CountingClient.built += 1;
    this.region = settings.region;
  }
  send(command: string): string {
    this.sent.push(command);
    return `${this.region}:${command}`;
  }
}

const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);

afterEach(() => {
  CountingClient.built = 0;
  ecs.reset();
  sfn.reset();
});

describe('deferredClient', () => {
  it('builds nothing until the client is used, then builds it once with the arguments given', () => {
    // Prepare
    const client = deferredClient(CountingClient, { region: 'eu-west-1' });
    const builtBeforeUse = CountingClient.built;

    // Act
    const first = client.send('DescribeServices');
    const second = client.send('UpdateService');

    // Assess
    expect(builtBeforeUse).toBe(0);
    expect(CountingClient.built).toBe(1);
    expect([first, second]).toEqual(['eu-west-1:DescribeServices', 'eu-west-1:UpdateService']);
    expect(client.sent).toEqual(['DescribeServices', 'UpdateService']);
    expect(client.settings).toEqual({ region: 'eu-west-1' });
  });

  it('passes for an instance of the client class and writes through to the real client', () => {
    // Prepare
    const client = deferredClient(CountingClient, { region: 'eu-west-1' });

    // Act
    client.sent = ['replaced'];

    // Assess
    expect(client).toBeInstanceOf(CountingClient);
    expect('send' in client).toBe(true);
    expect(client.sent).toEqual(['replaced']);
    expect(CountingClient.built).toBe(1);
  });

  it('sends through the SDK client it builds (a prototype stub answers, as the agents are tested)', async () => {
    // Prepare
    ecs.on(DescribeServicesCommand, { cluster: 'shop-prod' }).resolves({ services: [{ serviceName: 'shop-green' }] });
    const client = deferredClient(ECSClient, { region: 'eu-west-1' });

    // Act
    const answer = await client.send(new DescribeServicesCommand({ cluster: 'shop-prod', services: ['shop-green'] }));

    // Assess
    expect(client).toBeInstanceOf(ECSClient);
    expect(answer.services?.[0]?.serviceName).toBe('shop-green');
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(1);
    expect(await client.config.region()).toBe('eu-west-1');
  });

  it("is accepted by the SDK's paginators, which check the client's class", async () => {
    // Prepare
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [{ id: 1, timestamp: new Date(0), type: 'ExecutionStarted' }], nextToken: 'page-2' })
      .resolvesOnce({ events: [{ id: 2, timestamp: new Date(0), type: 'TaskStateEntered' }] });
    const client = deferredClient(SFNClient, { region: 'eu-west-1' });

    // Act
    const ids: number[] = [];
    for await (const page of paginateGetExecutionHistory({ client }, { executionArn: 'arn:aws:states:x' })) {
      ids.push(...(page.events ?? []).map((event) => event.id ?? 0));
    }

    // Assess
    expect(ids).toEqual([1, 2]);
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(2);
  });

  it('keeps one method per name and lets a spy replace one, as on the client itself', async () => {
    // Prepare
    const client = deferredClient(ECSClient, { region: 'eu-west-1' });
    const spy = vi.spyOn(client, 'send').mockResolvedValue({ services: [] } as never);

    // Act
    const answer = await client.send(new DescribeServicesCommand({ cluster: 'shop-prod', services: ['shop-green'] }));

    // Assess
    expect(client.destroy).toBe(client.destroy);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(answer).toEqual({ services: [] });
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(0);
    expect(Object.keys(client)).toContain('config');
    spy.mockRestore();
  });
});
