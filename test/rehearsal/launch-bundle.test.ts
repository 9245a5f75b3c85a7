import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry } from '../../rehearsal/launch-bundle.mjs';

/**
 * The launcher's bundle (rehearsal/launch-bundle.mjs), built for a tiny project of its own: what it runs is the
 * sources as they are, each file keeps its own import.meta, packages resolve from node_modules, and what only tsx
 * handles is refused (the launcher then runs cli.ts under tsx).
 */

const ROOT = join(import.meta.dirname, '..', '..');
const projects: string[] = [];

function project(files: Readonly<Record<string, string>>): string {
  const root = mkdtempSync(join(tmpdir(), 'launch-bundle-'));
  projects.push(root);
  // A node_modules of its own (the bundles go under it), with the one package the tests import.
  mkdirSync(join(root, 'node_modules'));
  symlinkSync(join(ROOT, 'node_modules', 'valibot'), join(root, 'node_modules', 'valibot'));
  write(root, { 'package.json': '{ "type": "module" }\n', 'tsconfig.json': '{}\n', ...files });
  return root;
}

function write(root: string, files: Readonly<Record<string, string>>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  }
}

let builds = 0;
/** Builds into a fresh folder under the project's node_modules (as launch.mjs does) and imports the entry. */
async function run(root: string): Promise<Record<string, unknown>> {
  builds += 1;
  const outdir = join(root, 'node_modules', '.cache', `run-${builds}`);
  mkdirSync(outdir, { recursive: true });
  const bundle = await bundleEntry(root, 'rehearsal/cli.ts', outdir);
  if ('refused' in bundle) throw new Error(`refused: ${bundle.refused}`);
  return (await import(pathToFileURL(bundle.entry).href)) as Record<string, unknown>;
}

afterAll(() => {
  for (const root of projects) rmSync(root, { recursive: true, force: true });
});

describe('the rehearsal launcher bundle', () => {
  it('runs the sources as they are: an edit shows in the next run', async () => {
    // Prepare
    const root = project({
      'rehearsal/cli.ts': "export { answer } from './answer';\n",
      'rehearsal/answer.ts': 'export const answer: number = 1;\n',
    });
    const before = await run(root);
    write(root, { 'rehearsal/answer.ts': 'export const answer: number = 2;\n' });

    // Act
    const after = await run(root);

    // Assess
    expect([before.answer, after.answer]).toEqual([1, 2]);
  });

  it('gives each file its own import.meta, as tsx does (the rehearsal finds its files by it)', async () => {
    // Prepare
    const root = project({
      'rehearsal/cli.ts': "export { where } from '../lib/where';\nexport const here = import.meta.url;\n",
      'lib/where.ts': 'export const where = { url: import.meta.url, dirname: import.meta.dirname };\n',
    });

    // Act
    const module = await run(root);

    // Assess
    expect(module.here).toBe(pathToFileURL(join(root, 'rehearsal', 'cli.ts')).href);
    expect(module.where).toEqual({
      url: pathToFileURL(join(root, 'lib', 'where.ts')).href,
      dirname: join(root, 'lib'),
    });
  });

  it('gives a JavaScript file of ours its own import.meta too', async () => {
    // Prepare
    const root = project({
      'rehearsal/cli.ts': "export { url } from '../lib/where.mjs';\n",
      'lib/where.mjs': 'export const url = import.meta.url;\n',
    });

    // Act
    const module = await run(root);

    // Assess
    expect(module.url).toBe(pathToFileURL(join(root, 'lib', 'where.mjs')).href);
  });

  it('leaves packages to node_modules: one copy, shared with what loads them directly', async () => {
    // Prepare
    const root = project({ 'rehearsal/cli.ts': "export { string } from 'valibot';\n" });

    // Act
    const module = await run(root);

    // Assess
    expect(module.string).toBe((await import('valibot')).string);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['a syntax error', { 'rehearsal/cli.ts': 'export const = 1;\n' }, /esbuild failed/],
    ['a require() in our code', { 'rehearsal/cli.ts': "export const fs = require('node:fs');\n" }, /require\(\)/],
    [
      'an import of a computed name (it would resolve from the bundle, not from the file)',
      { 'rehearsal/cli.ts': "const name = './other.ts';\nexport const other = () => import(name);\n" },
      /computed name/,
    ],
  ])('refuses %s, for tsx to run the sources (and report)', async (_, files, why) => {
    // Prepare
    const root = project(files);
    const outdir = join(root, 'node_modules', '.cache', 'refused');
    mkdirSync(outdir, { recursive: true });

    // Act
    const bundle = await bundleEntry(root, 'rehearsal/cli.ts', outdir);

    // Assess
    expect(bundle).toEqual({ refused: expect.stringMatching(why) });
  });
});

describe('the rehearsal launcher (rehearsal/launch.mjs)', () => {
  const RUNS = join(ROOT, 'node_modules', '.cache', 'deployment-crew-rehearse');

  it('removes its bundle folder when a closed terminal ends it (SIGHUP)', async () => {
    // Prepare
    const child = spawn(process.execPath, ['rehearsal/launch.mjs', '--scenario', 'happy-path'], {
      cwd: ROOT,
      env: { ...process.env, NODE_DEBUG: 'rehearse' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const folder = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const found = /bundle folder (\S+)/.exec(stderr);
        if (found?.[1] !== undefined) resolve(found[1]);
      });
      child.on('exit', () => reject(new Error(`exited before naming its folder: ${stderr}`)));
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_, signal) => resolve(signal)));

    // Act
    child.kill('SIGHUP');
    const signal = await exited;

    // Assess
    expect(signal).toBe('SIGHUP');
    expect(existsSync(folder)).toBe(false);
  });

  it('clears a folder a killed run left over an hour ago, and keeps a recent one', () => {
    // Prepare
    mkdirSync(RUNS, { recursive: true });
    const stale = mkdtempSync(join(RUNS, 'run-'));
    const recent = mkdtempSync(join(RUNS, 'run-'));
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);

    // Act
    const run = spawnSync(process.execPath, ['rehearsal/launch.mjs', '--help'], { cwd: ROOT, encoding: 'utf8' });

    // Assess
    expect(run.status).toBe(0);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    rmSync(recent, { recursive: true, force: true });
  });
});
