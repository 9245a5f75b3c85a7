import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, parse } from 'es-module-lexer';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The rooms of the code and who may enter which, checked on every import (type-only imports too):
 * - `lib/` (the stack) reads runtime code only from `lambdas/shared/`, so a change inside a tool or an agent cannot
 *   change the stack's IAM policy or environment without anyone noticing;
 * - `lambdas/shared/` imports no agent and no tool;
 * - `lambdas/tools/` import no agent or gateway (any function folder);
 * - a function folder (`lambdas/<name>/`) imports no other function's folder: a model two functions share belongs in
 *   `lambdas/shared/`;
 * - `rehearsal/` (the local rehearsal: the real agents over a simulated production) may read everything, and nothing
 *   of the product reads it: the simulation never leaks into what is deployed.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SOURCE_ROOTS = ['bin', 'lib', 'lambdas', 'rehearsal'];

type Room = {
  readonly kind: 'bin' | 'lib' | 'shared' | 'tools' | 'function' | 'rehearsal';
  readonly name: string;
};

function roomOf(file: string): Room {
  const [top, second = ''] = relative(ROOT, file).split('/');
  if (top === 'bin') return { kind: 'bin', name: 'bin' };
  if (top === 'lib') return { kind: 'lib', name: 'lib' };
  if (top === 'rehearsal') return { kind: 'rehearsal', name: 'rehearsal' };
  if (top === 'lambdas' && second === 'shared') return { kind: 'shared', name: 'lambdas/shared' };
  if (top === 'lambdas' && second === 'tools') return { kind: 'tools', name: 'lambdas/tools' };
  if (top === 'lambdas') return { kind: 'function', name: `lambdas/${second}` };
  throw new Error(`${file} is outside the source rooms`);
}

/** Null when `from` may import `to`; otherwise the rule it breaks. */
function forbiddenEdge(from: Room, to: Room): string | null {
  switch (from.kind) {
    case 'rehearsal':
      return null;
    case 'bin':
      return to.kind === 'bin' || to.kind === 'lib' || to.kind === 'shared' ? null : 'bin/ reads only lib/ and shared';
    case 'lib':
      return to.kind === 'lib' || to.kind === 'shared' ? null : 'lib/ reads runtime code only from lambdas/shared/';
    case 'shared':
      return to.kind === 'shared' ? null : 'lambdas/shared/ imports no agent and no tool';
    case 'tools':
      return to.kind === 'tools' || to.kind === 'shared' ? null : 'tools import no agent or gateway';
    case 'function':
      if (to.kind === 'shared' || to.kind === 'tools') return null;
      return to.kind === 'function' && to.name === from.name ? null : "functions import no other function's folder";
  }
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** A relative specifier as the bundler resolves it: `x.ts`, or a folder's `index.ts`; JSON files as they are. */
function resolveRelative(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw new Error(`${relative(ROOT, from)}: cannot resolve '${specifier}'`);
}

interface Edge {
  readonly from: string;
  readonly to: string;
}

function relativeImports(file: string): Edge[] {
  const [imports] = parse(readFileSync(file, 'utf8'), file);
  return imports
    .map((entry) => entry.n)
    .filter((specifier): specifier is string => specifier?.startsWith('.') === true)
    .map((specifier) => ({ from: file, to: resolveRelative(file, specifier) }));
}

describe('import rules', () => {
  let edges: Edge[] = [];
  beforeAll(async () => {
    await init;
    edges = SOURCE_ROOTS.flatMap((dir) => sourceFiles(join(ROOT, dir))).flatMap(relativeImports);
  });

  it('walks a real import graph (the stack reaches shared contracts, agents reach their tools)', () => {
    const pairs = new Set(edges.map((edge) => `${roomOf(edge.from).name} -> ${roomOf(edge.to).name}`));
    expect(pairs).toContain('lib -> lambdas/shared');
    expect(pairs).toContain('lambdas/rollback-coordinator -> lambdas/tools');
    expect(pairs).toContain('lambdas/tools -> lambdas/shared');
  });

  it('has no forbidden edge between the rooms', () => {
    const forbidden = edges.flatMap((edge) => {
      const rule = forbiddenEdge(roomOf(edge.from), roomOf(edge.to));
      return rule === null ? [] : [`${relative(ROOT, edge.from)} -> ${relative(ROOT, edge.to)}: ${rule}`];
    });
    expect(forbidden).toEqual([]);
  });

  it.each([
    ['lib', 'lambdas/tools'],
    ['lib', 'lambdas/rollback-coordinator'],
    ['lambdas/shared', 'lambdas/tools'],
    ['lambdas/shared', 'lambdas/approval-request'],
    ['lambdas/tools', 'lambdas/rollback-trigger'],
    ['lambdas/approval-response', 'lambdas/approval-request'],
  ])('refuses %s -> %s', (from, to) => {
    const room = (name: string) => roomOf(join(ROOT, name, 'x.ts'));
    expect(forbiddenEdge(room(from), room(to))).not.toBeNull();
  });
});
