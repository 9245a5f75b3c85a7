import { globSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { canaryThresholdsSchema } from '../../lambdas/shared/cutover-contracts';
import { documentedJsonSchema } from '../../lambdas/shared/json-schema';
import {
  crossChecked,
  describeIssues,
  httpUrl,
  isoInstant,
  jsonValueSchema,
  looseObject,
  nonEmptyString,
  object,
  parse,
  positiveInt,
  record,
  strictObject,
  utcInstant,
} from '../../lambdas/shared/validation';

/**
 * lambdas/shared/validation.ts: the messages every agent reports a bad input with, and the shared pieces its schemas
 * are made of.
 */

const releaseSchema = v.strictObject({
  release: v.strictObject({ version: nonEmptyString, image: v.string() }),
  options: v.optional(v.strictObject({ bakeSeconds: v.optional(v.pipe(v.number(), v.integer())) })),
});

function problems(schema: v.GenericSchema, value: unknown): string {
  const parsed = v.safeParse(schema, value);
  if (parsed.success) throw new Error('expected the value to be refused');
  return describeIssues(parsed.issues);
}

describe('describeIssues', () => {
  it('names a field by its path', () => {
    // Act
    const message = problems(releaseSchema, { release: { version: '1.0', image: 5 } });

    // Assess
    expect(message).toBe('release.image: Invalid type: Expected string but received 5');
  });

  it('names a key the schema does not know at the object that holds it', () => {
    // Act
    const nested = problems(releaseSchema, { release: { version: '1', image: 'x' }, options: { bake: 1 } });
    const root = problems(releaseSchema, { release: { version: '1', image: 'x' }, approvalTimeout: 5 });

    // Assess
    expect(nested).toBe('options: Unrecognized key: "bake"');
    expect(root).toBe('(root): Unrecognized key: "approvalTimeout"');
  });

  it('says a missing field is required, and a field present as undefined is of the wrong type', () => {
    // Act
    const missing = problems(releaseSchema, { release: { image: 'x' } });
    const undefinedValue = problems(releaseSchema, { release: { version: undefined, image: 'x' } });

    // Assess
    expect(missing).toBe('release.version: Required');
    expect(undefinedValue).toBe('release.version: Invalid type: Expected string but received undefined');
  });

  it('puts every problem on its own, joined by semicolons', () => {
    // Act
    const message = problems(releaseSchema, { release: { version: '', image: 5 } });

    // Assess
    expect(message).toBe(
      'release.version: Invalid length: Expected >=1 but received 0; ' +
        'release.image: Invalid type: Expected string but received 5',
    );
  });
});

describe('parse', () => {
  it('returns the output, defaults applied', () => {
    // Act
    const thresholds = parse(canaryThresholdsSchema, {});

    // Assess
    expect(thresholds.p95LatencyMs).toBe(500);
  });

  it('throws a ValiError whose message names the fields', () => {
    // Act
    const act = () => parse(releaseSchema, { release: { version: '1' } });

    // Assess
    expect(act).toThrow(v.ValiError);
    expect(act).toThrow('release.image: Required');
  });
});

describe('crossChecked', () => {
  const windowSchema = crossChecked(v.strictObject({ from: v.number(), to: v.number() }), (window) =>
    window.to < window.from ? [{ path: ['to'], message: 'must not be before from' }] : [],
  );

  it('reports a problem across fields at the field it names', () => {
    // Act
    const message = problems(windowSchema, { from: 5, to: 1 });

    // Assess
    expect(message).toBe('to: must not be before from');
  });

  it('does not run on a value whose fields failed, and passes a good one', () => {
    // Act
    const broken = problems(windowSchema, { from: 5, to: 'soon' });
    const good = v.safeParse(windowSchema, { from: 1, to: 5 });

    // Assess
    expect(broken).toBe('to: Invalid type: Expected number but received "soon"');
    expect(good.success).toBe(true);
  });

  it('names array items by their index', () => {
    // Prepare
    const namesSchema = crossChecked(v.array(v.strictObject({ name: v.string() })), (items) =>
      items.flatMap((item, index) =>
        items.findIndex((other) => other.name === item.name) < index
          ? [{ path: [index, 'name'], message: `duplicate name '${item.name}'` }]
          : [],
      ),
    );

    // Act
    const message = problems(namesSchema, [{ name: 'db' }, { name: 'api' }, { name: 'db' }]);

    // Assess
    expect(message).toBe("2.name: duplicate name 'db'");
  });
});

describe('shared pieces', () => {
  it.each([
    ['https://shop.example.com/health', true],
    ['http://10.0.0.5:8080/', true],
    ['ftp://shop.example.com/', false],
    ['shop.example.com', false],
  ])('httpUrl: %s → %s', (url, accepted) => {
    // Act
    const parsed = v.safeParse(httpUrl, url);

    // Assess
    expect(parsed.success).toBe(accepted);
  });

  it.each([
    ['2026-05-01T10:00:00Z', true],
    ['2026-05-01T10:00:00.123Z', true],
    ['2026-05-01T12:00:00+02:00', false],
    ['01/05/2026 10:00', false],
  ])('utcInstant: %s → %s', (instant, accepted) => {
    // Act
    const parsed = v.safeParse(utcInstant, instant);

    // Assess
    expect(parsed.success).toBe(accepted);
  });

  it.each(['2026-02-30T10:00:00Z', '2025-02-29T10:00:00Z', '2026-04-31T10:00:00Z', '2026-05-01 10:00:00Z'])(
    'utcInstant refuses %s, which is no instant',
    (instant) => {
      // Act
      const parsed = v.safeParse(utcInstant, instant);

      // Assess
      expect(parsed.success).toBe(false);
    },
  );

  it.each([
    ['2026-05-01T12:00:00+02:00', true],
    ['2024-02-29T23:30:00-01:00', true],
    ['2026-05-01T12:00:00+0200', false],
    ['2026-05-01T12:00:00+02', false],
    ['2026-05-01T12:00:00 +02:00', false],
    ['2026-02-30T12:00:00+02:00', false],
  ])('isoInstant: %s → %s', (instant, accepted) => {
    // Act
    const parsed = v.safeParse(isoInstant, instant);

    // Assess
    expect(parsed.success).toBe(accepted);
    if (accepted) expect(Number.isNaN(Date.parse(instant))).toBe(false);
  });

  it('httpUrl trims what surrounds the URL and refuses white space inside it', () => {
    // Act
    const padded = v.safeParse(httpUrl, '  https://shop.example.com/health \n');
    const broken = v.safeParse(httpUrl, 'https://shop.exa\nmple.com/');

    // Assess
    expect(padded.output).toBe('https://shop.example.com/health');
    expect(broken.success).toBe(false);
  });

  it('positiveInt refuses an integer beyond what a JSON number carries exactly', () => {
    // Act
    const parsed = v.safeParse(positiveInt, 2 ** 53);

    // Assess
    expect(parsed.success).toBe(false);
  });

  it('record and the object schemas refuse an array instead of reading it as { 0: … }', () => {
    // Prepare
    const headers = record(v.string(), v.string());
    const options = strictObject({ bakeSeconds: v.optional(positiveInt) });

    // Act
    const parsed = [
      v.safeParse(headers, ['x-deployment-side: green']),
      v.safeParse(options, []),
      v.safeParse(object({ note: v.optional(v.string()) }), []),
      v.safeParse(looseObject({ note: v.optional(v.string()) }), []),
    ];

    // Assess
    expect(parsed.map((one) => one.success)).toEqual([false, false, false, false]);
    expect(describeIssues(parsed[0]?.issues ?? [])).toBe('(root): Invalid type: Expected Object but received Array');
  });

  it('record refuses a key it could not keep, instead of dropping it', () => {
    // Act
    const parsed = v.safeParse(record(v.string(), v.string()), { constructor: 'a', accept: 'text/html' });

    // Assess
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.issues ?? [])).toContain('constructor');
  });

  it('record and the object schemas still work inside pipes, omit and spreads', () => {
    // Prepare
    const base = strictObject({ at: v.string(), detail: v.string() });
    const withoutAt = v.omit(base, ['at']);
    const extended = strictObject({ ...base.entries, extra: v.optional(v.boolean()) });

    // Act
    const results = [
      v.safeParse(withoutAt, { detail: 'x' }).success,
      v.safeParse(withoutAt, { at: 'now', detail: 'x' }).success,
      v.safeParse(extended, { at: 'now', detail: 'x', extra: true }).success,
      v.safeParse(v.pipe(base, v.description('d')), []).success,
    ];

    // Assess
    expect(results).toEqual([true, false, true, false]);
  });

  it('jsonValueSchema takes any JSON value, as it is, and refuses what JSON cannot carry', () => {
    // Prepare
    const body = { constructor: 1, prototype: { toString: 'x' }, list: [1, 'two', null, { b: false }] };

    // Act
    const parsed = v.safeParse(jsonValueSchema, body);

    // Assess
    expect(parsed.output).toEqual(body);
  });

  it('jsonValueSchema refuses what JSON cannot carry', () => {
    // Act
    const notJson = [Number.POSITIVE_INFINITY, undefined, () => 1].map((value) => v.safeParse(jsonValueSchema, value));

    // Assess
    expect(notJson.map((parsed) => parsed.success)).toEqual([false, false, false]);
  });

  it('refuses a threshold that is not a finite number, as JSON could never carry one', () => {
    // Act
    const parsed = v.safeParse(canaryThresholdsSchema, { errorRatePercent: Number.POSITIVE_INFINITY });

    // Assess
    expect(parsed.success).toBe(false);
  });
});

describe('documentedJsonSchema', () => {
  const documented = v.strictObject({
    name: v.pipe(
      v.string(),
      v.trim(),
      v.check((name) => name !== 'latest', 'not latest'),
    ),
    retries: v.optional(v.pipe(v.number(), v.finite()), 2),
    note: v.optional(v.string()),
  });

  it('makes a field with a default required in what a reader gets, optional in what a sender writes', () => {
    // Act
    const output = documentedJsonSchema(documented, 'output');
    const input = documentedJsonSchema(documented, 'input');

    // Assess
    expect(output.required).toEqual(['name', 'retries']);
    expect(input.required).toEqual(['name']);
  });

  it('leaves custom checks, finite and trim to the words of the docs, and still types the field', () => {
    // Act
    const schema = documentedJsonSchema(documented, 'input') as { properties: Record<string, unknown> };

    // Assess
    expect(schema.properties.name).toEqual({ type: 'string' });
    expect(schema.properties.retries).toEqual({ type: 'number', default: 2 });
  });

  it('fails on anything else JSON Schema cannot say, instead of dropping it', () => {
    // Act
    const act = () => documentedJsonSchema(v.pipe(v.string(), v.toUpperCase()), 'input');

    // Assess
    expect(act).toThrow(/cannot be converted to JSON Schema/);
  });
});

describe('the schemas of the crew', () => {
  it('build their objects and records from validation.ts, which refuses an array for either', () => {
    // Prepare
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const sources = globSync('{lambdas,lib,rehearsal,crew}/**/*.ts', { cwd: root }).filter(
      (path) => path !== 'lambdas/shared/validation.ts',
    );

    // Act
    const unguarded = sources.flatMap((path) =>
      [...readFileSync(`${root}${path}`, 'utf8').matchAll(/\bv\.(strictObject|object|looseObject|record)\(/g)].map(
        (match) => `${path}: v.${match[1]}`,
      ),
    );

    // Assess
    expect(sources.length).toBeGreaterThan(100);
    expect(unguarded).toEqual([]);
  });
});
