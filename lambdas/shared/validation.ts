import * as v from 'valibot';

/*
 * The Lambdas' schemas are valibot: a bundle carries only the functions it calls, and building a schema is creating
 * a small object, so a cold start pays next to nothing for the hundreds of schemas the shared contracts hold.
 */

/*
 * valibot's object and record schemas take an array for an object (`['a']` read as `{ 0: 'a' }`, `[]` as `{}`), and
 * a record drops the keys it will not set (`constructor`, `prototype`): JSON with an array where an object belongs, or
 * with such a key, would pass changed. The schemas here refuse both; every schema of the crew is built from them.
 */
const ARRAY_REFUSED = v.custom<never>(() => false, 'Invalid type: Expected Object but received Array');
const UNKEPT_KEYS = ['__proto__', 'constructor', 'prototype'];
const UNKEPT_KEY_REFUSED = v.custom<never>(
  () => false,
  (issue) =>
    `Invalid key: ${JSON.stringify(UNKEPT_KEYS.find((key) => Object.hasOwn(issue.input as object, key)))} is a name ` +
    'a map here cannot hold',
);

/** The schema, refusing an array (and, for a record, a key it would drop) before valibot reads the value. */
function guarded<Schema extends v.GenericSchema>(schema: Schema, refuseUnkeptKeys: boolean): Schema {
  const run = schema['~run'];
  const copy = {
    ...schema,
    // A method, not a closure over `schema`: v.omit and v.pipe copy it, and it must read the copy's entries.
    '~run'(this: Schema, dataset: v.UnknownDataset, config: v.Config<v.BaseIssue<unknown>>) {
      const { value } = dataset;
      if (Array.isArray(value)) return ARRAY_REFUSED['~run'](dataset, config);
      if (refuseUnkeptKeys && typeof value === 'object' && value !== null) {
        if (UNKEPT_KEYS.some((key) => Object.hasOwn(value, key))) return UNKEPT_KEY_REFUSED['~run'](dataset, config);
      }
      return run.call(this, dataset, config);
    },
  } as Schema;
  // The Standard Schema interface validates with this schema's run, not the one the copy was made from.
  const validate: v.StandardProps<unknown, unknown>['validate'] = (value) => {
    const dataset = copy['~run']({ value }, v.getGlobalConfig());
    if (dataset.issues === undefined) return { value: dataset.value };
    const keyOf = ({ key }: v.IssuePathItem) => ({ key: key as PropertyKey });
    return { issues: dataset.issues.map(({ message, path }) => ({ message, path: path?.map(keyOf) })) };
  };
  (copy as { '~standard': v.StandardProps<unknown, unknown> })['~standard'] = {
    version: 1,
    vendor: 'valibot',
    validate,
  };
  return copy;
}

/** `v.strictObject` that refuses an array: an object whose keys are all known. */
export const strictObject = <const Entries extends v.ObjectEntries>(entries: Entries) =>
  guarded(v.strictObject(entries), false);
/** `v.object` that refuses an array: unknown keys are dropped from the output. */
export const object = <const Entries extends v.ObjectEntries>(entries: Entries) => guarded(v.object(entries), false);
/** `v.looseObject` that refuses an array: unknown keys are kept as they are. */
export const looseObject = <const Entries extends v.ObjectEntries>(entries: Entries) =>
  guarded(v.looseObject(entries), false);
/** `v.record` that refuses an array and the keys a record cannot hold. */
export const record = <
  const Key extends v.BaseSchema<string, string | number | symbol, v.BaseIssue<unknown>>,
  const Value extends v.GenericSchema,
>(
  key: Key,
  value: Value,
) => guarded(v.record(key, value), true);

/** Leaves that many fields share. Integers are safe ones: a JSON number carries them exactly. */
export const nonEmptyString = v.pipe(v.string(), v.minLength(1));
export const nonNegativeNumber = v.pipe(v.number(), v.finite(), v.minValue(0));
export const nonNegativeInt = v.pipe(v.number(), v.safeInteger(), v.minValue(0));
export const positiveInt = v.pipe(v.number(), v.safeInteger(), v.minValue(1));
/** A whole percentage, 0 to 100: green's share of the traffic. */
export const wholePercent = v.pipe(v.number(), v.safeInteger(), v.minValue(0), v.maxValue(100));

/** `2026-05-01`: a day the calendar has (no 30 February), checked on the instant's own date. */
function isCalendarDate(instant: string): boolean {
  const [year, month, day] = instant.slice(0, 10).split('-').map(Number) as [number, number, number];
  return month >= 1 && month <= 12 && day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}
const CALENDAR_DATE = v.check(
  isCalendarDate,
  (issue) => `Invalid date: ${JSON.stringify(issue.input)} has no such day`,
);
const TIME_OF_DAY = String.raw`T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?`;

/** An ISO 8601 instant in UTC (`2026-05-01T10:00:00Z`, fractions allowed), as `Date#toISOString` writes one. */
export const utcInstant = v.pipe(
  v.string(),
  v.isoTimestamp(),
  v.regex(
    new RegExp(String.raw`^\d{4}-\d{2}-\d{2}${TIME_OF_DAY}Z$`),
    (issue) =>
      `Invalid timestamp: Expected a UTC instant (2026-05-01T10:00:00Z) but received ${JSON.stringify(issue.input)}`,
  ),
  CALENDAR_DATE,
);
/** An ISO 8601 instant with `Z` or an offset (`+02:00`), as `Date.parse` reads one. */
export const isoInstant = v.pipe(
  v.string(),
  v.isoTimestamp(),
  v.regex(
    new RegExp(String.raw`^\d{4}-\d{2}-\d{2}${TIME_OF_DAY}(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$`),
    (issue) =>
      `Invalid timestamp: Expected an ISO 8601 instant (2026-05-01T12:00:00+02:00) but received ${JSON.stringify(issue.input)}`,
  ),
  CALENDAR_DATE,
);

/** An absolute http(s) URL, without the blanks around it; white space inside one is refused. */
export const httpUrl = v.pipe(
  v.string(),
  v.trim(),
  v.url('must be an http(s) URL'),
  v.regex(/^https?:\/\/\S+$/i, 'must be an http(s) URL'),
);

/** A JSON value, as `JSON.parse` returns one. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

function isJsonValue(value: unknown, depth = 0): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || depth > 64) return false;
  if (Array.isArray(value)) return value.every((item) => isJsonValue(item, depth + 1));
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  return Object.values(value).every((item) => isJsonValue(item, depth + 1));
}

/** Any JSON value, kept as it is (every key of its objects included: a request body is sent as written). */
export const jsonValueSchema = v.custom<JsonValue>(
  (value) => isJsonValue(value),
  'Invalid type: Expected a JSON value (no Infinity, functions, dates or undefined)',
);

/** `v.parse(schema, value)`, throwing a ValiError whose message names the field of every problem. */
export function parse<const Schema extends v.GenericSchema>(schema: Schema, value: unknown): v.InferOutput<Schema> {
  const parsed = v.safeParse(schema, value);
  if (parsed.success) return parsed.output;
  const error = new v.ValiError(parsed.issues);
  error.message = describeIssues(parsed.issues);
  throw error;
}

/**
 * One line per problem, each naming the field by its path: `release.image: Invalid type: Expected string but
 * received 5`. A key a strict object does not know is named at the object (`options: Unrecognized key: "bake"`), and
 * a missing field as such (`release.version: Required`), where valibot's own words are about keys.
 */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues.map(describeIssue).join('; ');
}

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const path = issue.path ?? [];
  const last = path.at(-1);
  const at = (items: readonly v.IssuePathItem[]) =>
    items.length === 0 ? '(root)' : items.map((item) => String(item.key)).join('.');
  if (last !== undefined && last.origin === 'key' && issue.expected === 'never') {
    return `${at(path.slice(0, -1))}: Unrecognized key: ${JSON.stringify(last.key)}`;
  }
  const missing =
    last !== undefined &&
    last.type === 'object' &&
    issue.kind === 'schema' &&
    issue.received === 'undefined' &&
    !Object.hasOwn(last.input, String(last.key));
  return `${at(path)}: ${missing ? 'Required' : issue.message}`;
}

/** Parses an environment variable holding JSON against a schema, failing the cold start with a clear message. */
export function parseJsonEnv<Schema extends v.GenericSchema>(name: string, schema: Schema): v.InferOutput<Schema> {
  const raw = process.env[name];
  if (raw === undefined || raw === '') throw new Error(`environment variable ${name} is not set`);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new Error(`environment variable ${name} is not JSON: ${(error as Error).message}`);
  }
  const parsed = v.safeParse(schema, json);
  if (!parsed.success) throw new Error(`environment variable ${name} is invalid: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

/** Reads a required plain environment variable. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** A problem a check across fields found, at the field it names (`['context', 'snapshotIdentifier']`). */
export interface FieldProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * The schema with a check across its fields that reports each problem at the field it is about, as a field's own
 * check would (`context.snapshotIdentifier: required …`). The check runs only on a value whose fields all passed.
 */
export function crossChecked<const Schema extends v.GenericSchema>(
  schema: Schema,
  problemsOf: (value: v.InferOutput<Schema>) => readonly FieldProblem[],
) {
  return v.pipe(
    schema,
    v.rawCheck<v.InferOutput<Schema>>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      for (const { path, message } of problemsOf(dataset.value)) {
        addIssue({ message, path: issuePath(dataset.value, path) });
      }
    }),
  );
}

/** valibot's path items for plain keys, read from the value they lead through. */
export function issuePath(
  root: unknown,
  keys: readonly (string | number)[],
): [v.IssuePathItem, ...v.IssuePathItem[]] | undefined {
  const items: v.IssuePathItem[] = [];
  let input: unknown = root;
  for (const key of keys) {
    const value = (input as Record<string | number, unknown> | undefined)?.[key];
    items.push(
      Array.isArray(input) && typeof key === 'number'
        ? { type: 'array', origin: 'value', input, key, value }
        : { type: 'object', origin: 'value', input: (input ?? {}) as Record<string, unknown>, key: String(key), value },
    );
    input = value;
  }
  const [first, ...rest] = items;
  return first === undefined ? undefined : [first, ...rest];
}
