import { z } from 'zod';

/**
 * The smoke suite, as the stack's props declare it and the PostDeploymentVerifier and the prober run it: HTTP steps
 * grouped by flow, each with what it expects. Header values that are secrets are named by their Secrets Manager
 * ARN, never written into the configuration, and never logged.
 */

export const smokeFlowSchema = z.enum(['authentication', 'crud', 'integrations']);
export type SmokeFlow = z.output<typeof smokeFlowSchema>;

/** A header whose value is read from Secrets Manager when the suite runs. */
export const secretHeaderSchema = z.strictObject({
  secretArn: z.string().startsWith('arn:'),
  /** The key of a JSON secret; the whole SecretString without it. */
  jsonKey: z.string().min(1).optional(),
});
export type SecretHeader = z.output<typeof secretHeaderSchema>;

/** One check of the response body (JSON), at a JSONPath (`$.user.id`); script expressions are not evaluated. */
export const jsonAssertionSchema = z
  .strictObject({
    path: z.string().startsWith('$'),
    /** The value at the path equals this JSON value. */
    equals: z.json().optional(),
    /** The path matches something (true) or nothing (false). */
    exists: z.boolean().optional(),
    /** The value at the path, as a string, matches this regular expression. */
    matches: z.string().optional(),
  })
  .refine((assertion) => [assertion.equals, assertion.exists, assertion.matches].some((check) => check !== undefined), {
    message: 'a JSON assertion needs equals, exists or matches',
  });
export type JsonAssertion = z.output<typeof jsonAssertionSchema>;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
/** A step's latency ceiling may not exceed this (a Lambda runs the suite). */
export const MAX_STEP_LATENCY_MS = 30_000;

export const smokeStepSchema = z.strictObject({
  name: z.string().min(1).max(100),
  flow: smokeFlowSchema,
  method: z.enum(HTTP_METHODS).default('GET'),
  /** Path and query, from the base URL's origin (`//host` or `/\\host` would leave it: refused). */
  path: z
    .string()
    .startsWith('/')
    .refine((path) => !/^\/[/\\]/.test(path), { message: 'a path must stay on the target: no // or /\\ at its start' }),
  headers: z.record(z.string(), z.string()).default({}),
  secretHeaders: z.record(z.string(), secretHeaderSchema).default({}),
  /** Sent as JSON. */
  body: z.json().optional(),
  expectedStatus: z.union([z.int().min(100).max(599), z.array(z.int().min(100).max(599)).min(1)]).default(200),
  assertions: z.array(jsonAssertionSchema).default([]),
  /** The step fails when the response takes longer (to its last byte). */
  maxLatencyMs: z.int().positive().max(MAX_STEP_LATENCY_MS).default(2_000),
  /** Also sent by the prober during every bake (cheap, read-only steps). */
  probe: z.boolean().default(false),
});
export type SmokeStep = z.output<typeof smokeStepSchema>;
export type SmokeStepInput = z.input<typeof smokeStepSchema>;

export const smokeSuiteSchema = z
  .array(smokeStepSchema)
  .min(1)
  .refine((steps) => new Set(steps.map((step) => step.name)).size === steps.length, {
    message: 'smoke step names must be unique',
  });
export type SmokeSuite = z.output<typeof smokeSuiteSchema>;

/** What one step did; secret header values never appear in it. */
export const smokeStepResultSchema = z.strictObject({
  name: z.string(),
  flow: smokeFlowSchema,
  method: z.enum(HTTP_METHODS),
  path: z.string(),
  /** Null when no response came (refused, timed out). */
  status: z.int().nullable(),
  latencyMs: z.number().nonnegative(),
  passed: z.boolean(),
  failures: z.array(z.string()),
});
export type SmokeStepResult = z.output<typeof smokeStepResultSchema>;

export const smokeReportSchema = z.strictObject({
  target: z.string(),
  startedAt: z.string(),
  passed: z.boolean(),
  steps: z.array(smokeStepResultSchema),
  /** Per flow: steps passed of steps run. */
  flows: z.partialRecord(smokeFlowSchema, z.strictObject({ passed: z.int(), total: z.int() })),
});
export type SmokeReport = z.output<typeof smokeReportSchema>;
