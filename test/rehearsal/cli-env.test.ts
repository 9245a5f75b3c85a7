import { describe, expect, it } from 'vitest';
import { AWS_CREDENTIAL_VARIABLES, prepareEnvironment } from '../../rehearsal/cli-env';

/**
 * The rehearsal's environment: nothing the AWS SDK for JavaScript v3 reads credentials from survives, so a stray
 * client fails instead of reaching a real account. The variables are the ones the SDK's providers read
 * (@aws-sdk/credential-provider-env, -ini, -web-identity, -http, -login, -node, @smithy/core's shared-ini loader).
 */

describe('prepareEnvironment', () => {
  it.each([
    // fromEnv
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_CREDENTIAL_EXPIRATION',
    'AWS_CREDENTIAL_SCOPE',
    'AWS_ACCOUNT_ID',
    // fromIni and the shared files
    'AWS_PROFILE',
    'AWS_SHARED_CREDENTIALS_FILE',
    'AWS_CONFIG_FILE',
    // fromTokenFile (web identity)
    'AWS_WEB_IDENTITY_TOKEN_FILE',
    'AWS_ROLE_ARN',
    'AWS_ROLE_SESSION_NAME',
    // fromHttp / fromContainerMetadata
    'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
    'AWS_CONTAINER_CREDENTIALS_FULL_URI',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN',
    'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
    // fromLoginCredentials
    'AWS_LOGIN_CACHE_DIRECTORY',
  ])('ignores %s and names it in the notice', (name) => {
    // Prepare
    const env: NodeJS.ProcessEnv = { [name]: '/home/someone/secret', PATH: '/usr/bin' };

    // Act
    const notice = prepareEnvironment(env);

    // Assess
    expect(AWS_CREDENTIAL_VARIABLES).toContain(name);
    expect(env[name]).not.toBe('/home/someone/secret');
    expect(notice).toBe(`rehearse: ignoring ${name} from the environment: the rehearsal never talks to AWS.`);
    expect(env.PATH).toBe('/usr/bin');
  });

  it('leaves the default chain nothing to find: no shared files, no instance metadata', () => {
    // Prepare
    const env: NodeJS.ProcessEnv = {};

    // Act
    const notice = prepareEnvironment(env);

    // Assess
    expect(notice).toBeNull();
    expect(env).toEqual({
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
  });

  it('keeps a log level that was asked for', () => {
    // Prepare
    const env: NodeJS.ProcessEnv = { POWERTOOLS_LOG_LEVEL: 'DEBUG' };

    // Act
    prepareEnvironment(env);

    // Assess
    expect(env.POWERTOOLS_LOG_LEVEL).toBe('DEBUG');
  });
});
