import * as z from 'zod/mini';
import type { DependencyMatrix } from '../shared/contracts';
import { deferred, nonEmptyString, nonNegativeInt, nonNegativeNumber } from '../shared/validation';

/**
 * Zod schemas for contract shapes that `lambdas/shared/contracts.ts` declares only as TypeScript interfaces, so that
 * the matrix a previous task returned can be validated when it comes back as input to `buildReport`.
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
