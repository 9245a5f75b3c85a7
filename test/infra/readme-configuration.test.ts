import { readFileSync } from 'node:fs';
import type * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { contextConfigSchema } from '../../lib/context-config';

/**
 * The README's configuration reference names every context key (and the keys of each nested block) and every prop
 * of DeploymentCrewProps, so a setting added to the code and not to the reference fails here.
 */

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const SECTION = README.slice(README.indexOf('## Configuration'), README.indexOf('## Step Functions history budget'));
const ROWS = SECTION.split('\n').filter((line) => line.startsWith('| `'));

type Schema = v.GenericSchema & { wrapped?: Schema; entries?: Record<string, Schema> };

/** The object's entries under optional/nullable wrappers (a pipe keeps its first schema's), or null for a leaf. */
function objectOf(schema: Schema): Record<string, Schema> | null {
  let current: Schema | undefined = schema;
  while (current?.wrapped !== undefined) current = current.wrapped;
  return current?.entries ?? null;
}

/** Top-level keys, and `parent.child` for the keys of each nested block (one level, as the table goes). */
function contextKeys(): string[] {
  const shape = objectOf(contextConfigSchema as unknown as Schema) ?? {};
  return Object.entries(shape).flatMap(([key, value]) => {
    const nested = objectOf(value);
    return nested === null || key === 'database' ? [key] : [key, ...Object.keys(nested).map((c) => `${key}.${c}`)];
  });
}

function propNames(): string[] {
  const source = readFileSync(new URL('../../lib/deployment-crew-props.ts', import.meta.url), 'utf8');
  const body = /export interface DeploymentCrewProps \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
  return [...body.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((match) => match[1] as string);
}

/** A key is documented by its own row, or named in its parent's row (`{ a, b }`) or a row listing it. */
function documented(key: string): boolean {
  const [parent, child] = key.split('.');
  if (child === undefined)
    return ROWS.some((row) => row.startsWith(`| \`${parent}\``) || row.startsWith(`| \`${parent}.`));
  const word = new RegExp(`\\b${child}\\b`);
  return ROWS.some((row) => row.split('|')[1]?.includes(`\`${parent}`) && word.test(row));
}

describe('README configuration reference', () => {
  it('names every context key, nested ones included', () => {
    // Act
    const missing = contextKeys().filter((key) => !documented(key));

    // Assess
    expect(contextKeys().length).toBeGreaterThan(40);
    expect(missing).toEqual([]);
  });

  it('names every prop of DeploymentCrewProps (as its context key or in the props paragraph)', () => {
    // Act
    const missing = propNames().filter(
      (prop) => !SECTION.includes(`\`${prop}\``) && !ROWS.some((row) => row.startsWith(`| \`${prop}`)),
    );

    // Assess
    expect(propNames()).toContain('logRetention');
    expect(missing).toEqual([]);
  });
});
