/**
 * `npm run rehearse` starts here (package.json): it runs rehearsal/cli.ts as tsx does, only sooner. esbuild bundles
 * our TypeScript (about 0.15 s) into a folder of this run's own under node_modules/.cache, removed at exit, and the packages load from
 * node_modules as they do under tsx; tsx, transforming file by file as Node loads them, took about 0.6 s longer.
 * Nothing is kept between runs, so what runs is always the sources as they are. When the sources cannot run from a
 * bundle (a failed build, or something only tsx handles), cli.ts runs under tsx, which then reports any error.
 *
 * Plain JavaScript: it has to run before anything can compile TypeScript. `NODE_DEBUG=rehearse` says why tsx ran.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { debuglog } from 'node:util';
import { bundleEntry } from './launch-bundle.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
// Inside the project, so that the bundle's package imports resolve from node_modules as the sources' do.
const runs = join(ROOT, 'node_modules', '.cache', 'deployment-crew-rehearse');
mkdirSync(runs, { recursive: true });
const outdir = mkdtempSync(join(runs, 'run-'));
const removeRun = () => rmSync(outdir, { recursive: true, force: true });
process.on('exit', removeRun);
// Interrupted (Ctrl-C), the folder goes too, and the signal then ends the process as it would have.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    removeRun();
    process.kill(process.pid, signal);
  });
}

const bundle = await bundleEntry(ROOT, 'rehearsal/cli.ts', outdir);
if ('refused' in bundle) {
  debuglog('rehearse')('tsx runs cli.ts: %s', bundle.refused);
  await import('tsx');
  await import('./cli.ts');
} else {
  // Stack traces name the .ts files and lines, as under tsx.
  process.setSourceMapsEnabled(true);
  await import(pathToFileURL(bundle.entry).href);
}
