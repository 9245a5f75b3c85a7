import { type JsonSchema, type OverrideSchemaContext, toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';
import { jsonValueSchema } from './validation';

/**
 * Custom checks (a tag that is not `latest`, a path that stays on the target, fields that depend on each other) have
 * no JSON Schema form: the documents say them in words. Anything else JSON Schema cannot say fails the generation.
 */
const CHECKS_IN_WORDS = ['check', 'raw_check'];
/** A JSON number is always finite: JSON has no Infinity or NaN, so `number` already says it. */
const IMPLIED_BY_JSON = ['finite'];
/** Trimming is done to what a sender wrote: the input's type (a string) is what the schema documents. */
const TRANSFORMS_OF_THE_SAME_TYPE = ['trim'];

/**
 * The JSON Schema (draft 2020-12) that documents a schema: what a sender may write (`input`: defaults optional) or
 * what a reader gets (`output`). Any JSON value (jsonValueSchema) is `{}`.
 */
export function documentedJsonSchema(schema: v.GenericSchema, typeMode: 'input' | 'output'): Record<string, unknown> {
  return toJsonSchema(schema, {
    target: 'draft-2020-12',
    typeMode,
    errorMode: 'throw',
    ignoreActions: [...CHECKS_IN_WORDS, ...IMPLIED_BY_JSON, ...TRANSFORMS_OF_THE_SAME_TYPE],
    overrideSchema: (context) =>
      context.valibotSchema === jsonValueSchema ? {} : typeMode === 'output' ? requireDefaulted(context) : undefined,
  }) as Record<string, unknown>;
}

const OPTIONAL_TYPES = new Set(['optional', 'exact_optional', 'nullish']);

/** What a reader gets always has a field whose default fills it in: in `output`, such a field is required. */
function requireDefaulted({ valibotSchema, jsonSchema }: OverrideSchemaContext): JsonSchema | undefined {
  const entries = (valibotSchema as Partial<v.StrictObjectSchema<v.ObjectEntries, undefined>>).entries;
  if (entries === undefined || jsonSchema.type !== 'object') return undefined;
  const required = Object.entries(entries)
    .filter(([, entry]) => !OPTIONAL_TYPES.has(entry.type) || (entry as { default?: unknown }).default !== undefined)
    .map(([key]) => key);
  return { ...jsonSchema, required };
}
