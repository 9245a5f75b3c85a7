import { z } from 'zod';
import type { DependencyMatrix } from '../shared/contracts';

/**
 * Zod schemas for contract shapes that `lambdas/shared/contracts.ts` declares only as TypeScript interfaces, so that
 * the matrix a previous task returned can be validated when it comes back as input to `buildReport`.
 */

export const dependencyStatusSchema = z.strictObject({
  name: z.string().min(1),
  kind: z.enum(['health-endpoint', 'external-dependency']),
  url: z.string().min(1),
  critical: z.boolean(),
  status: z.enum(['UP', 'DOWN']),
  expectedStatus: z.int(),
  httpStatus: z.int().nullable(),
  latencyMs: z.number().nonnegative(),
  attempts: z.int().nonnegative(),
  error: z.string().optional(),
});

export const dependencyMatrixSchema = z.strictObject({
  checkedAt: z.string().min(1),
  healthy: z.boolean(),
  entries: z.array(dependencyStatusSchema).readonly(),
  warnings: z.array(z.string()).readonly(),
}) satisfies z.ZodType<DependencyMatrix>;
