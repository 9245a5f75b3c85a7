/**
 * The rehearsal's environment, made safe before anything else loads: nothing here talks to AWS, so credentials in
 * the environment are dropped (a stray SDK client must fail, never reach a real account), and the agents' JSON logs
 * are silenced unless asked for (they would drown the timeline). It imports nothing, so `cli.ts` can run it before
 * the modules that read the environment when they load.
 */

/** The variables the AWS SDK's default credential chain reads them from. */
export const AWS_CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
] as const;

/**
 * Removes AWS credentials from `env` and sets `POWERTOOLS_LOG_LEVEL=SILENT` unless it is set.
 * @returns the one-line notice to print on stderr, or null when no credential was there
 */
export function prepareEnvironment(env: NodeJS.ProcessEnv): string | null {
  const removed = AWS_CREDENTIAL_VARIABLES.filter((name) => env[name] !== undefined);
  for (const name of removed) delete env[name];
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
