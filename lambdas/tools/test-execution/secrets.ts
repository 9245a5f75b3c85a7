import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../../shared/errors';
import type { SecretHeader } from '../../shared/smoke-suite';

/** Reads a secret header's value; the value is never put into an error message or a log line. */
export interface SecretReader {
  read(reference: SecretHeader): Promise<string>;
}

/** Secrets Manager, one GetSecretValue per secret and run (the values are kept only in memory, for the run). */
export function secretsManagerReader(client: SecretsManagerClient): SecretReader {
  const secretStrings = new Map<string, Promise<string>>();
  const secretString = (secretArn: string) => {
    let pending = secretStrings.get(secretArn);
    if (pending === undefined) {
      pending = client.send(new GetSecretValueCommand({ SecretId: secretArn })).then((output) => {
        if (output.SecretString === undefined) {
          throw new ConfigurationError(`secret ${secretArn} has no SecretString (a binary secret cannot be a header)`);
        }
        return output.SecretString;
      });
      // A failed read is not cached: the next run tries again.
      pending.catch(() => secretStrings.delete(secretArn));
      secretStrings.set(secretArn, pending);
    }
    return pending;
  };
  return {
    async read(reference) {
      const text = await secretString(reference.secretArn);
      if (reference.jsonKey === undefined) return text;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ConfigurationError(
          `secret ${reference.secretArn} is not JSON, so it has no key '${reference.jsonKey}'`,
        );
      }
      const value = (parsed as Record<string, unknown> | null)?.[reference.jsonKey];
      if (typeof value !== 'string') {
        throw new ConfigurationError(`secret ${reference.secretArn} has no string key '${reference.jsonKey}'`);
      }
      return value;
    },
  };
}
