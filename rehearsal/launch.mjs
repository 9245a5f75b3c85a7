/**
 * `npm run rehearse` starts here (package.json): it runs rehearsal/cli.ts as tsx does, only sooner. esbuild bundles
 * our TypeScript (about 0.15 s) into a folder of this run's own under node_modules/.cache, removed at exit, and the packages load from
 * node_modules as they do under tsx; tsx, transforming file by file as Node loads them, took about 0.6 s longer.
 * Nothing is kept between runs, so what runs is always the sources as they are. When the sources cannot run from a
 * bundle (a failed build, or something only tsx handles), cli.ts runs under tsx, which then reports any error.
 *
 * Plain JavaScript: it has to run before anything can compile TypeScript. `NODE_DEBUG=rehearse` says why tsx ran.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { debuglog } from 'node:util';
import { bundleEntry } from './launch-bundle.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
// Inside the project, so that the bundle's package imports resolve from node_modules as the sources' do.
const runs = join(ROOT, 'node_modules', '.cache', 'deployment-crew-rehearse');
/** A run's folder older than this is one whose process was killed (SIGKILL, a closed terminal): it goes. */
const LEFT_BEHIND_MS = 60 * 60_000;

/** This run's own folder, after clearing the ones killed runs left; null when node_modules cannot be written. */
function runFolder() {
  try {
    mkdirSync(runs, { recursive: true });
    for (const name of readdirSync(runs)) {
      const folder = join(runs, name);
      if (Date.now() - statSync(folder).mtimeMs > LEFT_BEHIND_MS) rmSync(folder, { recursive: true, force: true });
    }
    return mkdtempSync(join(runs, 'run-'));
  } catch (error) {
    debuglog('rehearse')('no folder for the bundle: %s', error);
    return null;
  }
}

const outdir = runFolder();
if (outdir !== null) {
  const removeRun = () => rmSync(outdir, { recursive: true, force: true });
  process.on('exit', removeRun);
  // Interrupted (Ctrl-C, a closed terminal), the folder goes too, and the signal then ends the process as it would.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      removeRun();
      process.kill(process.pid, signal);
    });
  }
  debuglog('rehearse')('bundle folder %s', outdir);
}

const bundle =
  outdir === null
    ? { refused: 'node_modules/.cache cannot be written' }
    : await bundleEntry(ROOT, 'rehearsal/cli.ts', outdir);
if ('refused' in bundle) {
  debuglog('rehearse')('tsx runs cli.ts: %s', bundle.refused);
  await import('tsx');
  await import('./cli.ts');
} else {
  // Stack traces name the .ts files and lines, as under tsx.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(bundle.entry).href);
}
