import * as v from 'valibot';
import { crossChecked, type FieldProblem, httpUrl, parse, strictObject } from '../validation';
import { databaseConfigSchema } from './database';
import { jsonEnvironmentVariable } from './environment';

/**
 * Environment configuration of the pre-deployment validator. The stack builds (and checks at synth time) the JSON it
 * puts into the function's environment with these; the Lambda parses the same JSON on cold start.
 */

const checkName = v.pipe(
  v.string(),
  v.regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/,
    'must be 1-64 letters, digits or ._:/- starting with a letter or digit',
  ),
);

const httpTargetFields = {
  name: checkName,
  url: httpUrl,
  /** The only HTTP status that counts as healthy; redirects are not followed. */
  expectedStatus: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(100), v.maxValue(599)), 200),
  /** Per-attempt timeout until the response headers arrive. */
  timeoutMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(100), v.maxValue(30_000)), 3000),
};

export const healthEndpointConfigSchema = strictObject(httpTargetFields);

export const externalDependencyConfigSchema = strictObject({
  ...httpTargetFields,
  /** A critical dependency that is down stops the deployment (DEPLOY-001); a non-critical one becomes a warning. */
  critical: v.optional(v.boolean(), true),
});

/** `HEALTH_CHECKS`: production health endpoints (always critical) and external dependencies. */
export const healthChecksConfigSchema = crossChecked(
  strictObject({
    endpoints: v.pipe(v.array(healthEndpointConfigSchema), v.minLength(1), v.maxLength(20)),
    dependencies: v.optional(v.pipe(v.array(externalDependencyConfigSchema), v.maxLength(20)), []),
    /** Extra attempts per target after a failed one. */
    retries: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(5)), 2),
  }),
  (config) => {
    const seen = new Set<string>();
    const problems: FieldProblem[] = [];
    for (const [group, targets] of [
      ['endpoints', config.endpoints],
      ['dependencies', config.dependencies],
    ] as const) {
      targets.forEach((target, index) => {
        if (seen.has(target.name))
          problems.push({ path: [group, index, 'name'], message: `duplicate name '${target.name}'` });
        seen.add(target.name);
      });
    }
    return problems;
  },
);

/** The JSON the construct writes into `HEALTH_CHECKS` (fields with defaults may be omitted). */
export type HealthChecksConfig = v.InferInput<typeof healthChecksConfigSchema>;
/** `HEALTH_CHECKS` as the Lambda works with it, defaults applied. */
export type ResolvedHealthChecksConfig = v.InferOutput<typeof healthChecksConfigSchema>;

/** Delay before the first retry of a health check target; doubles for each further retry. */
export const HEALTH_CHECK_MIN_BACKOFF_MS = 250;

/**
 * Worst-case duration of one `checkHealth` call in milliseconds (every target timing out on every attempt, plus
 * backoff), for the construct to size the function's timeout.
 */
export function worstCaseHealthCheckMs(input: HealthChecksConfig): number {
  const config = parse(healthChecksConfigSchema, input);
  const targets = [...config.endpoints, ...config.dependencies];
  const longestTimeout = Math.max(...targets.map((target) => target.timeoutMs));
  let backoff = 0;
  for (let retry = 0; retry < config.retries; retry++) backoff += HEALTH_CHECK_MIN_BACKOFF_MS * 2 ** retry;
  return longestTimeout * (config.retries + 1) + backoff;
}

/** `HEALTH_CHECKS`: the production endpoints and external dependencies the validator checks. */
export const HEALTH_CHECKS = jsonEnvironmentVariable('HEALTH_CHECKS', healthChecksConfigSchema);
/** `DATABASE`: the database the validator snapshots. */
export const DATABASE = jsonEnvironmentVariable('DATABASE', databaseConfigSchema);
