import * as z from 'zod/mini';
import { deferred, nonEmptyString, nonNegativeNumber } from './validation';

/**
 * The smoke suite, as the stack's props declare it and the PostDeploymentVerifier and the prober run it: HTTP steps
 * grouped by flow, each with what it expects. Header values that are secrets are named by their Secrets Manager
 * ARN, never written into the configuration, and never logged.
 */

export const smokeFlowSchema = z.enum(['authentication', 'crud', 'integrations']);
export type SmokeFlow = z.output<typeof smokeFlowSchema>;

/** A header whose value is read from Secrets Manager when the suite runs. */
export const secretHeaderSchema = deferred(() =>
  z.strictObject({
    secretArn: z.string().check(z.startsWith('arn:')),
    /** The key of a JSON secret; the whole SecretString without it. */
    jsonKey: z.optional(nonEmptyString),
  }),
);
export type SecretHeader = z.output<typeof secretHeaderSchema>;

/** One check of the response body (JSON), at a JSONPath (`$.user.id`); script expressions are not evaluated. */
export const jsonAssertionSchema = deferred(() =>
  z
    .strictObject({
      path: z.string().check(z.startsWith('$')),
      /** The value at the path equals this JSON value. */
      equals: z.optional(z.json()),
      /** The path matches something (true) or nothing (false). */
      exists: z.optional(z.boolean()),
      /** The value at the path, as a string, matches this regular expression. */
      matches: z.optional(z.string()),
    })
    .check(
      z.refine(
        (assertion) => [assertion.equals, assertion.exists, assertion.matches].some((check) => check !== undefined),
        {
          message: 'a JSON assertion needs equals, exists or matches',
        },
      ),
    ),
);
export type JsonAssertion = z.output<typeof jsonAssertionSchema>;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** A step's latency ceiling may not exceed this (a Lambda runs the suite). */
export const MAX_STEP_LATENCY_MS = 30_000;

export const smokeStepSchema = deferred(() =>
  z.strictObject({
    name: z.string().check(z.minLength(1), z.maxLength(100)),
    flow: smokeFlowSchema,
    method: z._default(z.enum(HTTP_METHODS), 'GET'),
    /** Path and query, from the base URL's origin (`//host` or `/\\host` would leave it: refused). */
    path: z.string().check(
      z.startsWith('/'),
      z.refine((path) => !/^\/[/\\]/.test(path), {
        message: 'a path must stay on the target: no // or /\\ at its start',
      }),
    ),
    headers: z._default(z.record(z.string(), z.string()), {}),
    secretHeaders: z._default(z.record(z.string(), secretHeaderSchema), {}),
    /** Sent as JSON. */
    body: z.optional(z.json()),
    expectedStatus: z._default(
      z.union([
        z.int().check(z.gte(100), z.lte(599)),
        z.array(z.int().check(z.gte(100), z.lte(599))).check(z.minLength(1)),
      ]),
      200,
    ),
    assertions: z._default(z.array(jsonAssertionSchema), []),
    /** The step fails when the response takes longer (to its last byte). */
    maxLatencyMs: z._default(z.int().check(z.positive(), z.lte(MAX_STEP_LATENCY_MS)), 2_000),
    /** Also sent by the prober during every bake (cheap, read-only steps). */
    probe: z._default(z.boolean(), false),
  }),
);
export type SmokeStep = z.output<typeof smokeStepSchema>;
export type SmokeStepInput = z.input<typeof smokeStepSchema>;

export const smokeSuiteSchema = z.array(smokeStepSchema).check(
  z.minLength(1),
  z.refine((steps) => new Set(steps.map((step) => step.name)).size === steps.length, {
    message: 'smoke step names must be unique',
  }),
);
export type SmokeSuite = z.output<typeof smokeSuiteSchema>;

/** What one step did; secret header values never appear in it. */
export const smokeStepResultSchema = deferred(() =>
  z.strictObject({
    name: z.string(),
    flow: smokeFlowSchema,
    method: z.enum(HTTP_METHODS),
    path: z.string(),
    /** Null when no response came (refused, timed out). */
    status: z.nullable(z.int()),
    latencyMs: nonNegativeNumber,
    passed: z.boolean(),
    failures: z.array(z.string()),
  }),
);
export type SmokeStepResult = z.output<typeof smokeStepResultSchema>;

export const smokeReportSchema = deferred(() =>
  z.strictObject({
    target: z.string(),
    startedAt: z.string(),
    passed: z.boolean(),
    steps: z.array(smokeStepResultSchema),
    /** Per flow: steps passed of steps run. */
    flows: z.partialRecord(smokeFlowSchema, z.strictObject({ passed: z.int(), total: z.int() })),
  }),
);
export type SmokeReport = z.output<typeof smokeReportSchema>;
