import type { z } from 'zod';
import { describeZodError, parseJsonEnv } from '../validation';

/**
 * One environment variable holding JSON, seen from both sides: the stack writes it (checked against the schema at
 * synth, so a wrong prop fails `cdk synth` instead of the Lambda's cold start) and the function reads it back with
 * the same schema. The value is written as given: a schema default is applied when the function reads it.
 */
export interface JsonEnvironmentVariable<Schema extends z.ZodType> {
  readonly name: string;
  readonly schema: Schema;
  /** `{ [name]: JSON }` for the function's environment; throws naming the variable and the field when invalid. */
  environment(value: z.input<Schema>): Record<string, string>;
  /** Parses the variable from `process.env` on a cold start; throws with a clear message when it is off. */
  load(): z.output<Schema>;
}

export function jsonEnvironmentVariable<Schema extends z.ZodType>(
  name: string,
  schema: Schema,
): JsonEnvironmentVariable<Schema> {
  return {
    name,
    schema,
    environment(value) {
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw new Error(`${name} would be invalid: ${describeZodError(parsed.error)}`);
      return { [name]: JSON.stringify(value) };
    },
    load: () => parseJsonEnv(name, schema),
  };
}
