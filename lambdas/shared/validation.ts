import type { z } from 'zod';

/** One line per problem, each naming the field by its path, e.g. `release.image: Invalid string`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses an environment variable holding JSON against a schema, failing the cold start with a clear message. */
export function parseJsonEnv<Schema extends z.ZodType>(name: string, schema: Schema): z.output<Schema> {
  const raw = process.env[name];
  if (raw === undefined || raw === '') throw new Error(`environment variable ${name} is not set`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`environment variable ${name} is not JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`environment variable ${name} is invalid: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** Reads a required plain environment variable. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}
