import { DescribeKeyCommand, KMSClient, KMSServiceException } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { kmsKeyManager } from '../../../lambdas/tools/database-restore';
import { rejection } from '../../support/errors';

const kms = mockClient(KMSClient);
const keyManagerOf = kmsKeyManager(new KMSClient({ region: 'eu-west-1' }));
const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1111-2222';

const kmsError = (name: string) =>
  new KMSServiceException({ name, $fault: 'client', message: `${name} from the test`, $metadata: {} });

beforeEach(() => {
  kms.reset();
});

describe('kmsKeyManager', () => {
  it.each(['AWS', 'CUSTOMER'] as const)('reads a %s managed key with one DescribeKey of that key', async (manager) => {
    // Prepare
    kms.on(DescribeKeyCommand).resolves({ KeyMetadata: { KeyId: '1111-2222', KeyManager: manager } });

    // Act
    const result = await keyManagerOf(KEY);

    // Assess
    expect(result).toBe(manager);
    expect(kms.commandCalls(DescribeKeyCommand).map((call) => call.args[0].input)).toStrictEqual([{ KeyId: KEY }]);
  });

  it.each(['AccessDeniedException', 'NotFoundException'])('cannot say who manages a key on %s', async (name) => {
    // Prepare
    kms.on(DescribeKeyCommand).rejects(kmsError(name));

    // Act
    const result = await keyManagerOf(KEY);

    // Assess
    expect(result).toBeUndefined();
  });

  it('lets a throttled call fail, to be retried', async () => {
    // Prepare
    kms.on(DescribeKeyCommand).rejects(kmsError('ThrottlingException'));

    // Act
    const error = await rejection(keyManagerOf(KEY));

    // Assess
    expect(error.name).toBe('ThrottlingException');
  });
});
