import { en } from 'zod/locales';
import * as z from 'zod/mini';
// Named imports from core: `z.core.x` would make the bundle carry the whole core namespace (every locale, the compiler).
import { _parse, $constructor, type $Parse, $ZodError } from 'zod/v4/core';

/**
 * The Lambdas' schemas are zod/mini (tree-shakable: a bundle carries only what it uses). Unlike classic zod, mini
 * loads no locale: English is set here, once, and every schema module imports this one, so that the messages are
 * classic's (`Too small: expected string to have >=1 characters`).
 */
z.config(en());

/**
 * What {@link parse} throws: an error named `ZodError` with classic zod's issues and message, so that an error escaping
 * a handler is still reported as `ZodError` and `instanceof ZodError` holds. Mini's own parse throws a `$ZodError`.
 * Classic's helpers (`flatten`, `format`) are not on it: describeZodError is what the agents report with.
 */
export const ZodError: $constructor<$ZodError> = $constructor(
  'ZodError',
  (inst, issues) => {
    $ZodError.init(inst, issues);
    inst.name = 'ZodError';
  },
  undefined,
  { Parent: Error },
);

/** `schema.parse(value)`, throwing a {@link ZodError} as classic zod does. */
export const parse: $Parse = _parse(ZodError);

/*
 * Leaves that many fields share. A schema is immutable, so one instance serves every field that has its shape; each
 * one built costs at every cold start (a `.check` builds its schema twice), and the shared modules hold hundreds.
 */
export const nonEmptyString = z.string().check(z.minLength(1));
export const nonNegativeNumber = z.number().check(z.nonnegative());
export const nonNegativeInt = z.int().check(z.nonnegative());
export const positiveInt = z.int().check(z.positive());

/**
 * A schema built the first time it is used (a parse, or a schema built from it), then kept. Building a zod schema
 * costs at every cold start, and an agent's module holds the schemas of all its actions while a request needs one:
 * the shared contracts defer their composite schemas so that a cold start builds only what its request reads.
 */
export const deferred = <T extends z.core.$ZodType>(build: () => T): z.ZodMiniLazy<T> => z.lazy(build);

/** The schema a {@link deferred} one builds, for a schema made from it (`z.extend(built(x), …)`); builds it now. */
export const built = <T extends z.core.$ZodType>(schema: z.ZodMiniLazy<T>): T => schema._zod.innerType;

/** One line per problem, each naming the field by its path, e.g. `release.image: Invalid string`. */
export function describeZodError(error: z.core.$ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Parses an environment variable holding JSON against a schema, failing the cold start with a clear message. */
export function parseJsonEnv<Schema extends z.core.$ZodType>(name: string, schema: Schema): z.output<Schema> {
  const raw = process.env[name];
  if (raw === undefined || raw === '') throw new Error(`environment variable ${name} is not set`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`environment variable ${name} is not JSON: ${(error as Error).message}`);
  }
  const parsed = z.safeParse(schema, json);
  if (!parsed.success) throw new Error(`environment variable ${name} is invalid: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** Reads a required plain environment variable. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}
