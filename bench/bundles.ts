import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildOptions, Metafile } from 'esbuild';
import { type BundleContents, contentsOf, packageOf } from './bundle-contents';
import { agentEnvironments } from './bundle-env';
import type { BundleResult, FigureOutcome } from './figures';
import { median, round } from './stats';

/**
 * Figure 6: each agent bundled as the stack bundles it (lib/agent-function.ts: NodejsFunction's esbuild flags with
 * the construct's `bundling` options) into a temporary folder, and beside it three bundles built alike: the AWS SDK
 * clients it carries with the commands our code sends (the goal's baseline), their client classes alone, and the
 * first plus the libraries as our code imports them (whole modules). Each is imported in a fresh Node process with
 * the function's environment from the stack; the
 * import alone is timed inside that process, and Node's start-up before it is recorded apart. The runs alternate
 * between the bundles so that drift of the machine affects them alike.
 */

/** NodejsFunction's flags for lib/agent-function.ts's `bundling` (ESM, node24, minified, no source map, SDK in). */
const LAMBDA_BUILD: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  sourcemap: false,
  mainFields: ['module', 'main'],
  external: [],
  banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  logLevel: 'silent',
  metafile: true,
};

const MAX_RATIO = 1.25;

const PROBE = `import { pathToFileURL } from 'node:url';
const bootMs = performance.now();
await import(pathToFileURL(process.argv[2]).href);
process.stdout.write(JSON.stringify({ bootMs, importMs: performance.now() - bootMs }));
process.exit(0);
`;

type Variant =
  | 'bundle'
  | 'clientClasses'
  | 'sdkOnly'
  | 'sdkBuilt'
  | 'sdkBuiltLogger'
  | 'sdkFramework'
  | 'sdkAndLibraries';
const VARIANTS: readonly Variant[] = [
  'bundle',
  'clientClasses',
  'sdkOnly',
  'sdkBuilt',
  'sdkBuiltLogger',
  'sdkFramework',
  'sdkAndLibraries',
];

interface Load {
  readonly bootMs: number;
  readonly importMs: number;
}

interface Bundle {
  readonly agent: string;
  readonly files: Readonly<Record<Variant, string>>;
  readonly contents: BundleContents;
  readonly env: Record<string, string>;
  readonly loads: Record<Variant, Load[]>;
}

function clientClassOf(root: string, packageDir: string): string {
  const dist = join(root, packageDir, 'dist-es');
  const file = readdirSync(dist).find((name) => /^[A-Za-z0-9]+Client\.js$/.test(name));
  if (file === undefined) throw new Error(`no client class in ${dist}`);
  return file.slice(0, -'.js'.length);
}

/** The library specifiers our code imports, as written (`valibot`, `@aws-lambda-powertools/logger`). */
function librarySpecifiers(metafile: Metafile, contents: BundleContents): string[] {
  const libraries = new Set(contents.libraries.map((library) => library.name));
  const specifiers = new Set<string>();
  for (const [path, input] of Object.entries(metafile.inputs)) {
    if (packageOf(path) !== null) continue;
    for (const imported of input.imports) {
      const target = packageOf(imported.path);
      if (target !== null && libraries.has(target.name) && imported.original !== undefined) {
        specifiers.add(imported.original);
      }
    }
  }
  return [...specifiers].sort();
}

function load(probe: string, file: string, env: Record<string, string>): Load {
  const run = spawnSync(process.execPath, [probe, file], { env, encoding: 'utf8' });
  try {
    if (run.status !== 0) throw new Error(`exit ${run.status}`);
    const { bootMs, importMs } = JSON.parse(run.stdout) as Load;
    if (!Number.isFinite(bootMs) || !Number.isFinite(importMs)) throw new Error(`answered ${run.stdout}`);
    return { bootMs, importMs };
  } catch (error) {
    const why = run.stderr.trim().split('\n').slice(-3).join(' ');
    throw new Error(`loading ${file} failed (${(error as Error).message}): ${why}`);
  }
}

const kib = (bytes: number) => `${round(bytes / 1024, 0)} KiB`;
const medianImport = (loads: readonly Load[]) => round(median(loads.map((one) => one.importMs)));
const medianBoot = (loads: readonly Load[]) => round(median(loads.map((one) => one.bootMs)));

export async function measureBundles(options: {
  readonly root: string;
  readonly loads: number;
}): Promise<FigureOutcome> {
  const { build } = await import('esbuild');
  const { root } = options;
  const environments = await agentEnvironments(root);
  const work = mkdtempSync(join(tmpdir(), 'bench-bundles-'));
  try {
    const probe = join(work, 'probe.mjs');
    writeFileSync(probe, PROBE);
    const bundles: Bundle[] = [];
    const buildFrom = (contents: string, outfile: string) =>
      build({ ...LAMBDA_BUILD, absWorkingDir: root, stdin: { contents, resolveDir: root, loader: 'js' }, outfile });
    for (const [agent, env] of [...environments.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const entry = join(root, 'lambdas', agent, 'index.ts');
      if (!existsSync(entry)) throw new Error(`the stack builds ${agent}, but ${entry} does not exist`);
      const files = {
        bundle: join(work, agent, 'index.mjs'),
        clientClasses: join(work, `${agent}-client-classes`, 'index.mjs'),
        sdkOnly: join(work, `${agent}-sdk-only`, 'index.mjs'),
        sdkBuilt: join(work, `${agent}-sdk-built`, 'index.mjs'),
        sdkBuiltLogger: join(work, `${agent}-sdk-built-logger`, 'index.mjs'),
        sdkFramework: join(work, `${agent}-sdk-framework`, 'index.mjs'),
        sdkAndLibraries: join(work, `${agent}-sdk-and-libraries`, 'index.mjs'),
      };
      const built = await build({ ...LAMBDA_BUILD, absWorkingDir: root, entryPoints: [entry], outfile: files.bundle });
      const metafile = built.metafile ?? { inputs: {}, outputs: {} };
      const contents = contentsOf(metafile, (path) => readFileSync(join(root, path), 'utf8'));
      const clientClasses = contents.clients.map(
        (client) => `export { ${clientClassOf(root, client.packageDir)} } from './${client.packageDir}';`,
      );
      // The SDK as the agent uses it: each client with the commands our code sends (a client does nothing without
      // them), and lib-dynamodb's document client when the bundle carries it. Constructing clients stays ours.
      const clients = contents.clients.map((client) => {
        const names = [clientClassOf(root, client.packageDir), ...client.sentCommands.map((name) => `${name}Command`)];
        return `export { ${names.join(', ')} } from './${client.packageDir}';`;
      });
      const documentClient = contents.packages.find((pkg) => pkg.name === '@aws-sdk/lib-dynamodb');
      if (documentClient !== undefined) clients.push("export { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';");
      // "SDK only" with one client of each constructed at module load, as every agent does: what that costs alone.
      const constructed = contents.clients.map((client, index) => {
        const name = clientClassOf(root, client.packageDir);
        return `import { ${name} as Client${index} } from './${client.packageDir}'; export const client${index} = new Client${index}({});`;
      });
      const libraries = librarySpecifiers(metafile, contents).map(
        (specifier, index) => `export * as library${index} from '${specifier}';`,
      );
      await buildFrom(clientClasses.join('\n'), files.clientClasses);
      await buildFrom(clients.join('\n'), files.sdkOnly);
      await buildFrom([...clients, ...constructed].join('\n'), files.sdkBuilt);
      // And the agents' Powertools Logger as lambdas/shared/logger.ts makes it (its own Console on stdout/stderr).
      const logger = "export { logger } from './lambdas/shared/logger.ts';";
      await buildFrom([...clients, ...constructed, logger].join('\n'), files.sdkBuiltLogger);
      // And, without any client built, what every agent's handler loads: valibot, middy with the Powertools logger's
      // middleware (lambdas/shared/handler.ts), wrapped around a schema.
      const framework = [
        "import { workflowHandler } from './lambdas/shared/handler.ts';",
        "import { unknown } from 'valibot';",
        'export const handler = workflowHandler(unknown(), async () => null);',
      ];
      await buildFrom([...clients, ...framework].join('\n'), files.sdkFramework);
      await buildFrom([...clients, ...libraries].join('\n'), files.sdkAndLibraries);
      bundles.push({
        agent,
        files,
        contents,
        env,
        loads: {
          bundle: [],
          clientClasses: [],
          sdkOnly: [],
          sdkBuilt: [],
          sdkBuiltLogger: [],
          sdkFramework: [],
          sdkAndLibraries: [],
        },
      });
    }
    for (let run = 0; run < options.loads; run += 1) {
      for (const bundle of bundles) {
        for (const variant of VARIANTS) bundle.loads[variant].push(load(probe, bundle.files[variant], bundle.env));
      }
    }
    return bundlesOutcome(bundles, options.loads);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function bundlesOutcome(bundles: readonly Bundle[], loads: number): FigureOutcome {
  const results: BundleResult[] = bundles.map((bundle) => ({
    name: bundle.agent,
    bytes: bundle.contents.outputBytes,
    loadMs: medianImport(bundle.loads.bundle),
    sdkOnlyLoadMs: medianImport(bundle.loads.sdkOnly),
  }));
  // A bundle without any SDK client has nothing to be held against: its own code is all it loads.
  const ratioOf = (result: BundleResult, index: number) =>
    (bundles[index]?.contents.clients.length ?? 0) === 0 ? null : result.loadMs / result.sdkOnlyLoadMs;
  const ratios = results.map(ratioOf);
  const uncalled = bundles.flatMap((bundle) =>
    bundle.contents.clients
      .filter((client) => client.sentCommands.length === 0)
      .map((client) => `${bundle.agent}: ${client.packageName}`),
  );
  const over = results.filter((_, index) => (ratios[index] ?? 0) > MAX_RATIO).map((result) => result.name);
  const withoutSdk = results.filter((_, index) => ratios[index] === null).map((result) => result.name);
  const sizes = results.map((result) => result.bytes);
  const known = ratios.filter((ratio): ratio is number => ratio !== null);
  const rows = bundles.map((bundle, index) => {
    const result = results[index] as BundleResult;
    const ratio = ratios[index] ?? null;
    const boot = medianBoot(bundle.loads.bundle);
    const withBoot = round((result.loadMs + boot) / (result.sdkOnlyLoadMs + medianBoot(bundle.loads.sdkOnly)), 2);
    const clients = bundle.contents.clients.map((client) => {
      const extra = client.bundledCommands.filter((command) => !client.sentCommands.includes(command));
      const name = client.packageName.replace('@aws-sdk/client-', '');
      const sent = client.sentCommands.join(', ') || '**none sent**';
      return `${name}: ${sent}${extra.length === 0 ? '' : ` (also bundled: ${extra.join(', ')})`}`;
    });
    const sdkAndLibraries = medianImport(bundle.loads.sdkAndLibraries);
    const classes = medianImport(bundle.loads.clientClasses);
    const sdkBuilt = medianImport(bundle.loads.sdkBuilt);
    const sdkBuiltLogger = medianImport(bundle.loads.sdkBuiltLogger);
    const sdkFramework = medianImport(bundle.loads.sdkFramework);
    const toSdk = (ms: number) => (ratio === null ? 'n/a' : `${round(ms / result.sdkOnlyLoadMs, 2)}×`);
    const classesRatio = ratio === null ? 'n/a' : `${round(result.loadMs / classes, 2)}×`;
    return (
      `| ${bundle.agent} | ${kib(result.bytes)} | ${result.loadMs} | ${classes} | ${result.sdkOnlyLoadMs} | ` +
      `${sdkBuilt} (${toSdk(sdkBuilt)}) | ${sdkBuiltLogger} (${toSdk(sdkBuiltLogger)}) | ` +
      `${sdkFramework} (${toSdk(sdkFramework)}) | ` +
      `${sdkAndLibraries} | ${round(sdkAndLibraries - result.sdkOnlyLoadMs)} | ${round(result.loadMs - sdkFramework)} | ` +
      `${ratio === null ? 'n/a (no SDK client)' : `${round(ratio, 2)}×`} | ${classesRatio} | ${withBoot}× | ` +
      `${clients.join('; ') || 'none'} |`
    );
  });
  const heaviest = bundles.map((bundle) => {
    const top = bundle.contents.packages
      .slice(0, 5)
      .map((pkg) => `${pkg.name} ${kib(pkg.bytes)}`)
      .join(', ');
    const own = bundle.contents.heaviestOwnInputs.map((input) => `${input.path} ${kib(input.bytes)}`).join(', ');
    const libraries = bundle.contents.libraries.map((pkg) => `${pkg.name} ${kib(pkg.bytes)}`).join(', ');
    return (
      `- **${bundle.agent}**: heaviest packages ${top}; libraries our code reaches: ${libraries || 'none'}; own code` +
      ` ${kib(bundle.contents.ownBytes)} (heaviest ${own})`
    );
  });
  const summary = [
    `${results.length} bundles, ${kib(Math.min(...sizes))} to ${kib(Math.max(...sizes))}`,
    known.length === 0
      ? 'no bundle carries an SDK client'
      : `load ${round(Math.min(...known), 2)}× to ${round(Math.max(...known), 2)}× their SDK clients alone`,
    ...(over.length === 0 ? [] : [`over +25 %: ${over.join(', ')}`]),
    ...(withoutSdk.length === 0 ? [] : [`without an SDK client: ${withoutSdk.join(', ')}`]),
    ...(uncalled.length === 0 ? [] : [`clients none of whose commands our code sends: ${uncalled.join(', ')}`]),
  ];
  return {
    figures: [
      {
        id: 6,
        value: summary.join('; '),
        met: over.length === 0 && uncalled.length === 0,
        details: [
          'Bundled with esbuild as NodejsFunction does for lib/agent-function.ts (ESM, node24, minified, the SDK',
          `bundled). Load = \`await import(bundle)\` timed inside a fresh \`node\` (${process.version}) with the function's`,
          `environment from the stack, median of ${loads}, ms. "SDK only", the goal's baseline: a bundle exporting the`,
          'client classes of the SDK clients the agent bundle carries with the command classes our code sends (and',
          "lib-dynamodb's document client when it is in): the SDK as the agent uses it; constructing the clients counts",
          'as our code. "Client classes": the client classes alone (the baseline before, shown for comparison). "Clients',
          'built": "SDK only" with one client of each constructed at module load (`new XClient({})`), the most an agent',
          'builds at load: each builds there only the clients every one of its actions calls, the others on first use',
          '(lambdas/shared/aws-clients.ts deferredClient); "+ logger": that and the Powertools Logger as',
          'lambdas/shared/logger.ts makes it (its own Console on process.stdout and stderr, which a fresh Node creates on',
          'first use). "Framework, no client": "SDK only" with what every handler loads and no client built: valibot and',
          'middy with the logger\'s middleware (lambdas/shared/handler.ts) around a schema. Beside "SDK only", these',
          'columns are what our agents spend before any code, configuration or schema of their own.',
          '"SDK + libraries": "SDK only" plus every library module our code imports (whole). All built and loaded the same way,',
          'alternating with the agent bundle. "With start-up": the ratio',
          "when Node's own start-up in that process is added to both sides. A client is called when our code",
          'constructs one of its commands (`new XCommand(`, `paginateX(`, lib-dynamodb mapped to DynamoDB).',
          '',
          '"Libraries add" = SDK + libraries − SDK only (the libraries imported whole: more than a bundle carries); "own',
          'code adds" = load − framework, no client: the clients the agent builds at load, its configuration read and',
          'checked, the schemas and modules it loads.',
          '',
          '| bundle | minified | load | client classes | SDK only | clients built (ratio) | + logger (ratio) | framework, no client (ratio) | SDK + libraries | libraries add | own code adds | ratio | ratio to client classes | with start-up | commands our code sends, per client |',
          '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
          ...rows,
          '',
          'Bytes in the output (esbuild metafile):',
          '',
          ...heaviest,
        ],
      },
    ],
    results: { bundles: results },
  };
}
