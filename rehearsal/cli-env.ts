/**
 * The rehearsal's environment, made safe before anything else loads: nothing here talks to AWS, so credentials in
 * the environment are dropped (a stray SDK client must fail, never reach a real account), and the agents' JSON logs
 * are silenced unless asked for (they would drown the timeline). It imports nothing, so `cli.ts` can run it before
 * the modules that read the environment when they load.
 */

/**
 * Every variable the AWS SDK for JavaScript v3's default credential chain (credential-provider-node) reads
 * credentials, or where to find them, from; checked against the installed providers' sources. AWS_DEFAULT_PROFILE
 * is the CLI's, not the SDK's (v3 reads AWS_PROFILE only).
 */
export const AWS_CREDENTIAL_VARIABLES = [
  // fromEnv
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_CREDENTIAL_SCOPE',
  'AWS_ACCOUNT_ID',
  // fromIni, fromSSO, fromProcess: the profile and the shared files it is read from
  'AWS_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  // fromTokenFile (web identity)
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  // fromHttp and fromContainerMetadata (ECS, EKS Pod Identity)
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  // fromLoginCredentials (`aws login`)
  'AWS_LOGIN_CACHE_DIRECTORY',
] as const;

/**
 * What the chain would still find with none of those set: the default profile in ~/.aws and the instance metadata
 * service. Pointed at nothing (an empty file; a missing one on Windows, which the SDK reads as empty too).
 */
const NOTHING_TO_FIND = {
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

/**
 * Removes AWS credentials from `env`, leaves the SDK's default chain nothing to find, and sets
 * `POWERTOOLS_LOG_LEVEL=SILENT` unless it is set.
 * @returns the one-line notice to print on stderr, or null when no credential was there
 */
export function prepareEnvironment(env: NodeJS.ProcessEnv): string | null {
  const removed = AWS_CREDENTIAL_VARIABLES.filter((name) => env[name] !== undefined);
  for (const name of removed) delete env[name];
  Object.assign(env, NOTHING_TO_FIND);
  env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  if (removed.length === 0) return null;
  return `rehearse: ignoring ${removed.join(', ')} from the environment: the rehearsal never talks to AWS.`;
}

/**
 * Colour for a terminal, or when FORCE_COLOR asks for it (CI logs); never when NO_COLOR is set to anything but the
 * empty string (no-color.org), which wins.
 */
export function wantsColour(stream: { readonly isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true;
}
