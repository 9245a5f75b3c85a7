import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import * as v from 'valibot';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { DeploymentEventDetail } from '../../lambdas/shared/deployment-events';
import { logger } from '../../lambdas/shared/logger';
import { createEventPublisher } from '../../lambdas/tools/event-publisher';
import { rejection } from '../support/errors';

const eventBridge = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'eu-west-1' });
const BUS = 'shop-deployments';
const publisher = createEventPublisher(client, BUS);

const SHIFTED: DeploymentEventDetail<'Traffic Shifted'> = {
  deployment: 'release-1-4-0-7f3a',
  at: '2026-11-24T10:20:00.000Z',
  schemaVersion: 1,
  fromGreenWeight: 10,
  toGreenWeight: 50,
  liveTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-blue/73e2d6bc24d8a067',
  greenTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/shop-green/8a067e2d6bc24d73',
  confirmedAt: '2026-11-24T10:19:58.500Z',
  secondsUntilEffective: 1.5,
};

beforeEach(() => {
  eventBridge.reset();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('event publisher', () => {
  it('puts exactly one entry on the bus, with the validated detail as JSON', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    // Act
    const result = await publisher.publish('Traffic Shifted', SHIFTED);

    // Assess
    expect(result).toEqual({ published: true });
    expect(eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Entries: [
          {
            EventBusName: BUS,
            Source: 'deployment-crew',
            DetailType: 'Traffic Shifted',
            Detail: JSON.stringify(SHIFTED),
            Time: new Date(SHIFTED.at),
          },
        ],
      },
    ]);
  });

  it('reports a refused entry without throwing, and logs a warning', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'the bus could not take the entry' }],
    });
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);

    // Act
    const result = await publisher.publish('Traffic Shifted', SHIFTED);

    // Assess
    expect(result).toEqual({ published: false, error: 'InternalFailure: the bus could not take the entry' });
    expect(warn).toHaveBeenCalledWith('event not published', {
      detailType: 'Traffic Shifted',
      deployment: SHIFTED.deployment,
      busName: BUS,
      error: 'InternalFailure: the bus could not take the entry',
    });
  });

  it('reports a failed call (access denied, bus missing, network) without throwing', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).rejects(
      new EventBridgeServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: 'not authorized to perform: events:PutEvents',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => undefined);

    // Act
    const result = await publisher.publish('Traffic Shifted', SHIFTED);

    // Assess
    expect(result).toEqual({ published: false, error: 'not authorized to perform: events:PutEvents' });
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('reports a refusal without details as such', async () => {
    // Prepare
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1 });

    // Act
    const result = await publisher.publish('Traffic Shifted', SHIFTED);

    // Assess
    expect(result).toEqual({ published: false, error: 'unknown error: no message' });
  });

  it('throws on a detail that does not match its schema, and sends nothing', async () => {
    // Prepare
    const invalid = { ...SHIFTED, toGreenWeight: 150 };

    // Act
    const error = await rejection(publisher.publish('Traffic Shifted', invalid));

    // Assess
    expect(error).toBeInstanceOf(v.ValiError);
    expect(eventBridge.commandCalls(PutEventsCommand)).toEqual([]);
  });
});
