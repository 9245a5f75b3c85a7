import { readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The bundle that launch.mjs runs: an entry (rehearsal/cli.ts) and every file of ours it imports, bundled by esbuild
 * with the options tsx transforms with, the packages left as imports for Node to resolve from node_modules. Built on
 * every run, so it is never stale: nothing is kept between runs.
 */

/** A bundle's modules share one import.meta: each file's own URL, path and folder come in as constants instead. */
const META = { url: '__rehearsalMetaUrl', filename: '__rehearsalMetaFilename', dirname: '__rehearsalMetaDirname' };

/** Gives each file its own import.meta (on its first line, so that the source map's lines stay right). */
const importMetaPlugin = {
  name: 'rehearse-import-meta',
  setup(/** @type {import('esbuild').PluginBuild} */ build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      const contents = readFileSync(args.path, 'utf8');
      const loader = /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js';
      if (!contents.includes('import.meta')) return { contents, loader };
      const own = { url: pathToFileURL(args.path).href, filename: args.path, dirname: dirname(args.path) };
      const constants = Object.entries(META).map(
        ([key, name]) => `${name} = ${JSON.stringify(own[/** @type {keyof typeof META} */ (key)])}`,
      );
      return { contents: `const ${constants.join(', ')};${contents}`, loader };
    });
  },
};

/**
 * Bundles `entry` (relative to `root`) into `outdir`, which must be this run's own.
 * @param {string} root the project
 * @param {string} entry e.g. 'rehearsal/cli.ts'
 * @param {string} outdir an empty folder
 * @returns {Promise<{ readonly entry: string } | { readonly refused: string }>} the bundle's entry, or why the
 *   sources cannot run from a bundle as they do under tsx (the caller then runs them under tsx)
 */
export async function bundleEntry(root, entry, outdir) {
  const esbuild = await import('esbuild');
  let result;
  try {
    result = await esbuild.build({
      absWorkingDir: root,
      entryPoints: [entry],
      bundle: true,
      // Each dynamic import stays a module of its own that loads when it runs, as under tsx: cli.ts cleans the
      // environment before anything that reads it loads, and --help loads none of the rehearsal.
      splitting: true,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      target: `node${process.versions.node}`,
      keepNames: true,
      sourcemap: 'linked',
      sourcesContent: false,
      define: Object.fromEntries(Object.entries(META).map(([key, name]) => [`import.meta.${key}`, name])),
      outdir,
      entryNames: '[name]',
      chunkNames: 'chunk-[hash]',
      outExtension: { '.js': '.mjs' },
      metafile: true,
      logLevel: 'silent',
      plugins: [importMetaPlugin],
    });
  } catch (error) {
    return { refused: `esbuild failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  } finally {
    await esbuild.stop();
  }
  if (result.warnings.length > 0) return { refused: `esbuild warned: ${result.warnings[0]?.text}` };
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    // Anything left to resolve at run time must be a package or a builtin: a path would resolve from outdir.
    if (output.imports.some((imported) => imported.external && /^[./\\]/.test(imported.path))) {
      return { refused: `a path import in ${file}` };
    }
    if (!file.endsWith('.mjs')) continue;
    const text = readFileSync(join(root, file), 'utf8');
    // A require() or an import.meta the constants did not cover would not behave as it does under tsx.
    if (/\bimport\.meta\b|\b__require\(/.test(text)) return { refused: `import.meta or require() in ${file}` };
    // An import of a computed name would resolve from outdir, not from the file that wrote it.
    if (/\bimport\((?!\s*["'])/.test(text)) return { refused: `an import of a computed name in ${file}` };
  }
  return { entry: join(outdir, `${entry.slice(entry.lastIndexOf('/') + 1, -extname(entry).length)}.mjs`) };
}
