import * as z from 'zod/mini';
import type { DependencyMatrix } from './contracts';
import { deferred, nonEmptyString, nonNegativeInt, nonNegativeNumber } from './validation';

/**
 * The dependency status matrix (contracts.ts declares it as interfaces; `satisfies` keeps the schema in step), so that
 * the matrix the validator's health check returned can be read back: by the validator's `buildReport` and by the
 * deployment report.
 */

export const dependencyStatusSchema = deferred(() =>
  z.strictObject({
    name: nonEmptyString,
    kind: z.enum(['health-endpoint', 'external-dependency']),
    url: nonEmptyString,
    critical: z.boolean(),
    status: z.enum(['UP', 'DOWN']),
    expectedStatus: z.int(),
    httpStatus: z.nullable(z.int()),
    latencyMs: nonNegativeNumber,
    attempts: nonNegativeInt,
    error: z.optional(z.string()),
  }),
);

export const dependencyMatrixSchema = deferred(() =>
  z.strictObject({
    checkedAt: nonEmptyString,
    healthy: z.boolean(),
    entries: z.readonly(z.array(dependencyStatusSchema)),
    warnings: z.readonly(z.array(z.string())),
  }),
) satisfies z.ZodMiniType<DependencyMatrix>;
