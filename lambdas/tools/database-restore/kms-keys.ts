import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { errorName } from '../../shared/errors';
import type { KeyManager } from './prechecks';

/** Errors that mean "cannot say who manages this key": the check then treats it as a key that needs configuring. */
const UNREADABLE_KEY_ERRORS = new Set(['AccessDeniedException', 'NotFoundException', 'InvalidArnException']);

/**
 * Who manages a KMS key (DescribeKey `KeyManager`): AWS for the aws/rds key, CUSTOMER otherwise. A key the role may
 * not describe, or that is gone, is `undefined`; other errors (throttling, the network) propagate to be retried.
 */
export function kmsKeyManager(client: KMSClient): (keyId: string) => Promise<KeyManager> {
  return async (keyId) => {
    try {
      const output = await client.send(new DescribeKeyCommand({ KeyId: keyId }));
      const manager = output.KeyMetadata?.KeyManager;
      return manager === 'AWS' || manager === 'CUSTOMER' ? manager : undefined;
    } catch (error) {
      if (UNREADABLE_KEY_ERRORS.has(errorName(error) ?? '')) return undefined;
      throw error;
    }
  };
}
