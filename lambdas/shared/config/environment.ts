import { gunzipSync, gzipSync } from 'node:zlib';
import * as v from 'valibot';
import { describeIssues, parseJsonEnv } from '../validation';

/**
 * One environment variable holding JSON, seen from both sides: the stack writes it (checked against the schema at
 * synth, so a wrong prop fails `cdk synth` instead of the Lambda's cold start) and the function reads it back with
 * the same schema. The value is written as given: a schema default is applied when the function reads it.
 */
export interface JsonEnvironmentVariable<Schema extends v.GenericSchema> {
  readonly name: string;
  readonly schema: Schema;
  /** `{ [name]: JSON }` for the function's environment; throws naming the variable and the field when invalid. */
  environment(value: v.InferInput<Schema>): Record<string, string>;
  /** Parses the variable from `process.env` on a cold start; throws with a clear message when it is off. */
  load(): v.InferOutput<Schema>;
}

export function jsonEnvironmentVariable<Schema extends v.GenericSchema>(
  name: string,
  schema: Schema,
): JsonEnvironmentVariable<Schema> {
  return {
    name,
    schema,
    environment(value) {
      const parsed = v.safeParse(schema, value);
      if (!parsed.success) throw new Error(`${name} would be invalid: ${describeIssues(parsed.issues)}`);
      return { [name]: JSON.stringify(value) };
    },
    load: () => parseJsonEnv(name, schema),
  };
}

/**
 * A JSON environment variable too large for Lambda's 4 KB of environment, written gzip-compressed and base64-encoded.
 * A CloudFormation token inside the value (a table's name, a role's ARN: `${Token[…]}` at synth) cannot be compressed
 * before deployment resolves it, so each string holding one moves to a variable of its own (`<name>_T<i>`) and the
 * compressed JSON keeps a marker in its place; the function puts the values back when it reads the variable.
 */
export interface CompressedJsonEnvironmentVariable<Schema extends v.GenericSchema>
  extends JsonEnvironmentVariable<Schema> {
  /** The JSON as the function reads it, from these variables (the stack's environment, or a test's). */
  decode(variables: Readonly<Record<string, string | undefined>>): unknown;
  /** `load` over these variables instead of `process.env`. */
  read(variables: Readonly<Record<string, string | undefined>>): v.InferOutput<Schema>;
}

/** How a synthesized token prints (Token.asString): such a string is resolved only at deployment. */
const UNRESOLVED_TOKEN = /\$\{Token\[[^\]]+\]\}/;
const TOKEN_MARKER = '\u0000env:';

function replaceStrings(value: unknown, replace: (text: string) => string): unknown {
  if (typeof value === 'string') return replace(value);
  if (Array.isArray(value)) return value.map((item) => replaceStrings(item, replace));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceStrings(item, replace)]));
  }
  return value;
}

export function compressedJsonEnvironmentVariable<Schema extends v.GenericSchema>(
  name: string,
  schema: Schema,
): CompressedJsonEnvironmentVariable<Schema> {
  const decode = (variables: Readonly<Record<string, string | undefined>>): unknown => {
    const raw = variables[name];
    if (raw === undefined || raw === '') throw new Error(`environment variable ${name} is not set`);
    let json: unknown;
    try {
      json = JSON.parse(gunzipSync(Buffer.from(raw, 'base64')).toString('utf8'));
    } catch (error) {
      throw new Error(`environment variable ${name} is not gzip+base64 JSON: ${(error as Error).message}`);
    }
    return replaceStrings(json, (text) => {
      if (!text.startsWith(TOKEN_MARKER)) return text;
      const variable = text.slice(TOKEN_MARKER.length);
      const resolved = variables[variable];
      if (resolved === undefined) throw new Error(`environment variable ${variable} (part of ${name}) is not set`);
      return resolved;
    });
  };
  const read = (variables: Readonly<Record<string, string | undefined>>): v.InferOutput<Schema> => {
    const parsed = v.safeParse(schema, decode(variables));
    if (!parsed.success) throw new Error(`environment variable ${name} is invalid: ${describeIssues(parsed.issues)}`);
    return parsed.output;
  };
  return {
    name,
    schema,
    environment(value) {
      const parsed = v.safeParse(schema, value);
      if (!parsed.success) throw new Error(`${name} would be invalid: ${describeIssues(parsed.issues)}`);
      const tokens: Record<string, string> = {};
      const marked = replaceStrings(value, (text) => {
        if (!UNRESOLVED_TOKEN.test(text)) return text;
        const variable = `${name}_T${Object.keys(tokens).length}`;
        tokens[variable] = text;
        return `${TOKEN_MARKER}${variable}`;
      });
      // Node's gzip writes no timestamp: the same value gives the same template.
      return { [name]: gzipSync(JSON.stringify(marked), { level: 9 }).toString('base64'), ...tokens };
    },
    load: () => read(process.env),
    decode,
    read,
  };
}
