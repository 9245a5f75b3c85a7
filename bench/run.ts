import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareEnvironment } from '../rehearsal/cli-env';
import {
  CATALOGUE,
  type Figure,
  type FigureId,
  type FigureOutcome,
  type MeasuredResults,
  notMeasured,
} from './figures';
import { type BenchOptions, modeOf, parseBenchArgs, UsageError } from './options';
import { type Machine, renderSummary, writeReport } from './report';

/**
 * `npm run bench`: measures the figures of issue 18 and writes BENCHMARKS.md and bench/results.json. Misses are
 * reported, never fatal; the exit code is 1 only when a figure could not be measured at all (2 on bad arguments).
 * The environment is made safe as the rehearsal's CLI does (no credentials, agents' logs silenced) before any agent
 * code loads; the child processes (synth, npm test) get the environment as it was.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const childEnv: NodeJS.ProcessEnv = { ...process.env };
prepareEnvironment(process.env);

interface Measurement {
  readonly ids: readonly FigureId[];
  /** Why --quick skips it, when it does. */
  readonly skippedWhenQuick?: string;
  readonly measure: (options: BenchOptions) => Promise<FigureOutcome>;
}

/** In the order they run: the in-process figures first, the ones that spawn heavy processes last. */
const MEASUREMENTS: readonly Measurement[] = [
  {
    ids: [1],
    measure: async ({ quick }) => (await import('./reaction')).measureReaction({ runs: quick ? 20 : 200 }),
  },
  { ids: [2, 3], measure: async () => (await import('./detection')).measureDetection() },
  { ids: [4], measure: async () => (await import('./transitions')).measureTransitions() },
  {
    ids: [7],
    measure: async ({ quick }) =>
      (await import('./rehearsal')).measureRehearsal({ root: ROOT, env: childEnv, full: !quick }),
  },
  {
    ids: [6],
    measure: async ({ quick }) => (await import('./bundles')).measureBundles({ root: ROOT, loads: quick ? 3 : 10 }),
  },
  {
    ids: [5],
    skippedWhenQuick: 'skipped by --quick',
    measure: async () => (await import('./synth')).measureSynth({ root: ROOT, env: childEnv }),
  },
  {
    ids: [8],
    skippedWhenQuick: 'skipped by --quick',
    measure: async () => (await import('./test-time')).measureTestTime({ root: ROOT, env: childEnv }),
  },
];

function machine(): Machine {
  const cores = cpus();
  return {
    cores: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

async function main(args: readonly string[]): Promise<number> {
  const options = parseBenchArgs(args);
  const measuredAt = new Date().toISOString();
  const figures = new Map<FigureId, Figure>();
  let measured: MeasuredResults = {};
  let failures = 0;
  for (const measurement of MEASUREMENTS) {
    const wanted = measurement.ids.filter((id) => options.only.includes(id));
    if (wanted.length === 0) continue;
    if (options.quick && measurement.skippedWhenQuick !== undefined) {
      for (const id of wanted) figures.set(id, notMeasured(id, measurement.skippedWhenQuick));
      continue;
    }
    const startedAt = performance.now();
    process.stderr.write(`bench: measuring ${wanted.map((id) => `${id} (${CATALOGUE[id].title})`).join(', ')}…\n`);
    try {
      const outcome = await measurement.measure(options);
      for (const figure of outcome.figures) if (wanted.includes(figure.id)) figures.set(figure.id, figure);
      measured = { ...measured, ...outcome.results };
    } catch (error) {
      failures += 1;
      const message = error instanceof Error ? error.message : String(error);
      for (const id of wanted) figures.set(id, notMeasured(id, `the measurement failed: ${message}`));
    }
    process.stderr.write(`bench: … done in ${Math.round((performance.now() - startedAt) / 1000)} s\n`);
  }
  const ordered = [...figures.values()].sort((a, b) => a.id - b.id);
  const outDir = options.out === null ? null : resolve(options.out);
  const paths = {
    markdown: outDir === null ? join(ROOT, 'BENCHMARKS.md') : join(outDir, 'BENCHMARKS.md'),
    json: outDir === null ? join(ROOT, 'bench', 'results.json') : join(outDir, 'results.json'),
  };
  writeReport(paths, { measuredAt, machine: machine(), mode: modeOf(options), figures: ordered }, measured);
  process.stdout.write(`${renderSummary(ordered)}\n\nWritten: ${paths.markdown}, ${paths.json}\n`);
  return failures === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
