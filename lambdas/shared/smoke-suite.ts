import * as v from 'valibot';
import { jsonValueSchema, nonEmptyString, nonNegativeNumber, record, strictObject } from './validation';

/**
 * The smoke suite, as the stack's props declare it and the PostDeploymentVerifier and the prober run it: HTTP steps
 * grouped by flow, each with what it expects. Header values that are secrets are named by their Secrets Manager
 * ARN, never written into the configuration, and never logged.
 */

export const smokeFlowSchema = v.picklist(['authentication', 'crud', 'integrations']);
export type SmokeFlow = v.InferOutput<typeof smokeFlowSchema>;

/** A header whose value is read from Secrets Manager when the suite runs. */
export const secretHeaderSchema = strictObject({
  secretArn: v.pipe(v.string(), v.startsWith('arn:')),
  /** The key of a JSON secret; the whole SecretString without it. */
  jsonKey: v.optional(nonEmptyString),
});
export type SecretHeader = v.InferOutput<typeof secretHeaderSchema>;

/** One check of the response body (JSON), at a JSONPath (`$.user.id`); script expressions are not evaluated. */
export const jsonAssertionSchema = v.pipe(
  strictObject({
    path: v.pipe(v.string(), v.startsWith('$')),
    /** The value at the path equals this JSON value. */
    equals: v.optional(jsonValueSchema),
    /** The path matches something (true) or nothing (false). */
    exists: v.optional(v.boolean()),
    /** The value at the path, as a string, matches this regular expression. */
    matches: v.optional(v.string()),
  }),
  v.check(
    (assertion) => [assertion.equals, assertion.exists, assertion.matches].some((check) => check !== undefined),
    'a JSON assertion needs equals, exists or matches',
  ),
);
export type JsonAssertion = v.InferOutput<typeof jsonAssertionSchema>;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** A step's latency ceiling may not exceed this (a Lambda runs the suite). */
export const MAX_STEP_LATENCY_MS = 30_000;

export const smokeStepSchema = strictObject({
  name: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
  flow: smokeFlowSchema,
  method: v.optional(v.picklist(HTTP_METHODS), 'GET'),
  /** Path and query, from the base URL's origin (`//host` or `/\\host` would leave it: refused). */
  path: v.pipe(
    v.string(),
    v.startsWith('/'),
    v.check((path) => !/^\/[/\\]/.test(path), 'a path must stay on the target: no // or /\\ at its start'),
  ),
  headers: v.optional(record(v.string(), v.string()), {}),
  secretHeaders: v.optional(record(v.string(), secretHeaderSchema), {}),
  /** Sent as JSON. */
  body: v.optional(jsonValueSchema),
  expectedStatus: v.optional(
    v.union([
      v.pipe(v.number(), v.safeInteger(), v.minValue(100), v.maxValue(599)),
      v.pipe(v.array(v.pipe(v.number(), v.safeInteger(), v.minValue(100), v.maxValue(599))), v.minLength(1)),
    ]),
    200,
  ),
  assertions: v.optional(v.array(jsonAssertionSchema), []),
  /** The step fails when the response takes longer (to its last byte). */
  maxLatencyMs: v.optional(v.pipe(v.number(), v.safeInteger(), v.gtValue(0), v.maxValue(MAX_STEP_LATENCY_MS)), 2_000),
  /** Also sent by the prober during every bake (cheap, read-only steps). */
  probe: v.optional(v.boolean(), false),
});
export type SmokeStep = v.InferOutput<typeof smokeStepSchema>;
export type SmokeStepInput = v.InferInput<typeof smokeStepSchema>;

export const smokeSuiteSchema = v.pipe(
  v.array(smokeStepSchema),
  v.minLength(1),
  v.check((steps) => new Set(steps.map((step) => step.name)).size === steps.length, 'smoke step names must be unique'),
);
export type SmokeSuite = v.InferOutput<typeof smokeSuiteSchema>;

/** What one step did; secret header values never appear in it. */
export const smokeStepResultSchema = strictObject({
  name: v.string(),
  flow: smokeFlowSchema,
  method: v.picklist(HTTP_METHODS),
  path: v.string(),
  /** Null when no response came (refused, timed out). */
  status: v.nullable(v.pipe(v.number(), v.safeInteger())),
  latencyMs: nonNegativeNumber,
  passed: v.boolean(),
  failures: v.array(v.string()),
});
export type SmokeStepResult = v.InferOutput<typeof smokeStepResultSchema>;

/** Steps passed of steps run, in one flow. */
const flowTallySchema = strictObject({
  passed: v.pipe(v.number(), v.safeInteger()),
  total: v.pipe(v.number(), v.safeInteger()),
});

export const smokeReportSchema = strictObject({
  target: v.string(),
  startedAt: v.string(),
  passed: v.boolean(),
  steps: v.array(smokeStepResultSchema),
  /** Per flow: steps passed of steps run. */
  flows: strictObject(
    Object.fromEntries(smokeFlowSchema.options.map((flow) => [flow, v.optional(flowTallySchema)])) as Record<
      SmokeFlow,
      v.OptionalSchema<typeof flowTallySchema, undefined>
    >,
  ),
});
export type SmokeReport = v.InferOutput<typeof smokeReportSchema>;
