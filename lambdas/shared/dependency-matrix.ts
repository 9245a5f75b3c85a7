import * as v from 'valibot';
import type { DependencyMatrix } from './contracts';
import { nonEmptyString, nonNegativeInt, nonNegativeNumber, strictObject } from './validation';

/**
 * The dependency status matrix (contracts.ts declares it as interfaces; `satisfies` keeps the schema in step), so that
 * the matrix the validator's health check returned can be read back: by the validator's `buildReport` and by the
 * deployment report.
 */

export const dependencyStatusSchema = strictObject({
  name: nonEmptyString,
  kind: v.picklist(['health-endpoint', 'external-dependency']),
  url: nonEmptyString,
  critical: v.boolean(),
  status: v.picklist(['UP', 'DOWN']),
  expectedStatus: v.pipe(v.number(), v.safeInteger()),
  httpStatus: v.nullable(v.pipe(v.number(), v.safeInteger())),
  latencyMs: nonNegativeNumber,
  attempts: nonNegativeInt,
  error: v.optional(v.string()),
});

export const dependencyMatrixSchema = strictObject({
  checkedAt: nonEmptyString,
  healthy: v.boolean(),
  entries: v.array(dependencyStatusSchema),
  warnings: v.array(v.string()),
}) satisfies v.GenericSchema<DependencyMatrix>;
