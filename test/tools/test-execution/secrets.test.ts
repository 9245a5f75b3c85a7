import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { secretsManagerReader } from '../../../lambdas/tools/test-execution';
import { rejection } from '../../support/errors';

const secretsManager = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-smoke-AbCdEf';

beforeEach(() => {
  secretsManager.reset();
});

describe('secretsManagerReader', () => {
  it('reads a secret once per run, and a key of a JSON secret', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"token":"t-1","user":"smoke"}' });
    const reader = secretsManagerReader(new SecretsManagerClient({ region: 'eu-west-1' }));

    // Act
    const token = await reader.read({ secretArn: ARN, jsonKey: 'token' });
    const user = await reader.read({ secretArn: ARN, jsonKey: 'user' });

    // Assess
    expect([token, user]).toEqual(['t-1', 'smoke']);
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((call) => call.args[0].input)).toStrictEqual([
      { SecretId: ARN },
    ]);
  });

  it('refuses a missing key without showing the secret', async () => {
    // Prepare
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"token":"tok-SECRET-9"}' });
    const reader = secretsManagerReader(new SecretsManagerClient({ region: 'eu-west-1' }));

    // Act
    const error = await rejection(reader.read({ secretArn: ARN, jsonKey: 'password' }));

    // Assess
    expect(error.name).toBe('ConfigurationError');
    expect(error.message).toContain("no string key 'password'");
    expect(error.message).not.toContain('tok-SECRET-9');
  });

  it('tries again after a failed read', async () => {
    // Prepare
    secretsManager
      .on(GetSecretValueCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      .resolves({ SecretString: 'plain' });
    const reader = secretsManagerReader(new SecretsManagerClient({ region: 'eu-west-1' }));
    await rejection(reader.read({ secretArn: ARN }));

    // Act
    const value = await reader.read({ secretArn: ARN });

    // Assess
    expect(value).toBe('plain');
  });
});
