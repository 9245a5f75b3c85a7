import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  type DeploymentEventDetail,
  type DeploymentEventType,
  deploymentEventEntry,
} from '../../shared/deployment-events';
import { errorMessage } from '../../shared/errors';
import { logger } from '../../shared/logger';

/**
 * event_publisher: puts one `deployment-crew` event on the crew's bus. Events are a hook for other systems: a
 * refused entry or a failed call is logged and reported, never thrown, so that it can never block a rollback or a
 * cutover. A detail that does not match its schema is thrown: that is a bug in the caller, not an outage.
 */

export interface PublishResult {
  /** EventBridge accepted the entry. */
  readonly published: boolean;
  /** Why it was not published: the entry's error code and message, or the call's error. */
  readonly error?: string;
}

export interface EventPublisher {
  publish<T extends DeploymentEventType>(type: T, detail: DeploymentEventDetail<T>): Promise<PublishResult>;
}

export function createEventPublisher(client: EventBridgeClient, busName: string): EventPublisher {
  return {
    async publish(type, detail) {
      // Outside the try: an invalid detail is a programming error and must fail loudly.
      const entry = deploymentEventEntry(busName, type, detail);
      let error: string | undefined;
      try {
        const output = await client.send(new PutEventsCommand({ Entries: [{ ...entry }] }));
        if ((output.FailedEntryCount ?? 0) > 0) {
          const failed = output.Entries?.[0];
          error = `${failed?.ErrorCode ?? 'unknown error'}: ${failed?.ErrorMessage ?? 'no message'}`;
        }
      } catch (thrown) {
        error = errorMessage(thrown);
      }
      if (error === undefined) return { published: true };
      logger.warn('event not published', { detailType: type, deployment: detail.deployment, busName, error });
      return { published: false, error };
    },
  };
}
