import { globSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod/mini';
import { alarmEventSchema } from '../../lambdas/rollback-trigger/requests';
import { sidesSchema } from '../../lambdas/shared/lock-contracts';
import { manualRollbackSchema } from '../../lambdas/shared/operator-requests';
import { probeFailureReportSchema } from '../../lambdas/shared/probe-failure';
import { built, deferred, parse } from '../../lambdas/shared/validation';
import { rollbackRequestSchema } from '../../lambdas/tools/deployment-lock';

/**
 * The agents' composite schemas are deferred (lambdas/shared/validation.ts): built on first use, so that a cold start
 * builds only what its request reads. A deferred schema must validate exactly as the schema it builds, be built once,
 * and every one in lambdas/ must build: a mistake in one would otherwise surface only at the first request needing it.
 */

const LAMBDAS = fileURLToPath(new URL('../../lambdas/', import.meta.url));

/** Every module under lambdas/ but the handlers (which read their environment when loaded) and the config modules. */
async function lambdaModules(): Promise<Record<string, Record<string, unknown>>> {
  const paths = globSync('**/*.ts', { cwd: LAMBDAS }).filter(
    (path) => !path.endsWith('index.ts') && !path.startsWith('shared/config/'),
  );
  const modules: Record<string, Record<string, unknown>> = {};
  for (const path of paths.sort()) modules[`lambdas/${path}`] = await import(join(LAMBDAS, path));
  return modules;
}

function deferredExports(modules: Record<string, Record<string, unknown>>): Array<[string, z.ZodMiniLazy]> {
  const found: Array<[string, z.ZodMiniLazy]> = [];
  for (const [path, exports] of Object.entries(modules)) {
    for (const [name, value] of Object.entries(exports)) {
      const candidates =
        value !== null && typeof value === 'object' && !(value instanceof z.ZodMiniType)
          ? Object.entries(value).map(([key, item]) => [`${name}['${key}']`, item] as const)
          : [[name, value] as const];
      for (const [label, item] of candidates) {
        if (item instanceof z.ZodMiniLazy) found.push([`${path}: ${label}`, item]);
      }
    }
  }
  return found;
}

/** The deferred schemas inside a schema's definition, by path (none: the whole tree is built with it). */
function deferredInside(schema: z.core.$ZodType, path = '(root)', seen = new Set<unknown>()): string[] {
  if (seen.has(schema)) return [];
  seen.add(schema);
  if (schema instanceof z.ZodMiniLazy) return [path];
  const found: string[] = [];
  const visit = (value: unknown, at: string) => {
    if (value instanceof z.core.$ZodType) found.push(...deferredInside(value, at, seen));
    else if (Array.isArray(value)) {
      for (const [index, item] of value.entries()) visit(item, `${at}[${index}]`);
    } else if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [key, item] of Object.entries(value)) visit(item, `${at}.${key}`);
    }
  };
  for (const [key, value] of Object.entries(schema._zod.def)) visit(value, `${path}.${key}`);
  return found;
}

describe('deferred schemas', () => {
  it('builds its schema on the first parse only, and once', () => {
    // Prepare
    const build = vi.fn(() => z.strictObject({ name: z.string().check(z.minLength(1)) }));
    const schema = deferred(build);

    // Act
    const builtAtDeclaration = build.mock.calls.length;
    const first = z.safeParse(schema, { name: 'shop' });
    const second = z.safeParse(schema, { name: '' });

    // Assess
    expect(builtAtDeclaration).toBe(0);
    expect(build).toHaveBeenCalledTimes(1);
    expect(first).toMatchObject({ success: true, data: { name: 'shop' } });
    expect(second.success).toBe(false);
  });

  it('reports the issues of the schema it builds, with their paths and messages', () => {
    // Prepare
    const eager = z.strictObject({ release: z.strictObject({ image: z.string().check(z.minLength(1)) }) });
    const lazy = deferred(() => eager);
    const input = { release: { image: '' }, extra: 1 };

    // Act
    const fromEager = z.safeParse(eager, input);
    const fromDeferred = z.safeParse(lazy, input);

    // Assess
    expect(fromDeferred.success).toBe(false);
    expect(fromDeferred.error?.issues).toEqual(fromEager.error?.issues);
    expect(() => parse(lazy, input)).toThrow(/Too small: expected string to have >=1 characters/);
  });

  it('inside another schema is not built until that schema parses a value reaching it', () => {
    // Prepare
    const build = vi.fn(() => z.strictObject({ weight: z.int() }));
    const inner = deferred(build);
    const outer = z.discriminatedUnion('action', [
      z.strictObject({ action: z.literal('shift'), step: inner }),
      z.strictObject({ action: z.literal('finish') }),
    ]);

    // Act
    const finished = z.safeParse(outer, { action: 'finish' });
    const builtBeforeShift = build.mock.calls.length;
    const shifted = z.safeParse(outer, { action: 'shift', step: { weight: 10 } });

    // Assess
    expect(finished.success).toBe(true);
    expect(builtBeforeShift).toBe(0);
    expect(shifted.success).toBe(true);
    expect(build).toHaveBeenCalledTimes(1);
  });

  it('hands the built schema to one made from it (built), the same instance the parse uses', () => {
    // Prepare
    const base = deferred(() => z.strictObject({ at: z.string(), detail: z.string() }));

    // Act
    const withoutAt = z.omit(built(base), { at: true });

    // Assess
    expect(built(base)).toBe(built(base));
    expect(z.safeParse(withoutAt, { detail: 'x' }).success).toBe(true);
    expect(z.safeParse(base, { detail: 'x' }).success).toBe(false);
  });

  it('every deferred schema in lambdas/ builds, with those nested in it', async () => {
    // Prepare
    const found = deferredExports(await lambdaModules());

    // Act
    const failures = found.flatMap(([label, schema]) => {
      try {
        // The JSON Schema walks the whole tree: the deferred schemas nested in this one, exported or not, build too.
        z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
        return [];
      } catch (error) {
        return [`${label}: ${(error as Error).message}`];
      }
    });

    // Assess
    expect(found.length).toBeGreaterThan(50);
    expect(failures).toEqual([]);
  });

  it("leaves the alarm listener's rollback path nothing to build: its inputs and the lock item are built at load", () => {
    // Prepare: what the alarm listener parses before it changes the listener (an alarm, a probe report, the
    // Chairman's override) and the lock item it claims (its sides, its rollback request).
    const rollbackPath = {
      alarmEventSchema,
      probeFailureReportSchema,
      manualRollbackSchema,
      rollbackRequestSchema,
      sidesSchema,
    };

    // Act
    const deferredOnThePath = Object.entries(rollbackPath).flatMap(([name, schema]) => deferredInside(schema, name));

    // Assess
    expect(deferredOnThePath).toEqual([]);
    expect(deferredInside(z.strictObject({ a: z.optional(deferred(() => z.string())) }))).toEqual([
      '(root).shape.a.innerType',
    ]);
  });
});
