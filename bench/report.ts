import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { type BenchResults, CATALOGUE, type Figure, type MeasuredResults, RESULT_KEYS } from './figures';

/**
 * The run's two outputs: BENCHMARKS.md (the machine, then one table row per figure with its goal beside it and
 * `met` or `**miss**`, then each figure's details) and bench/results.json (the measured numbers, RESULT_KEYS only).
 * A miss is reported, never thrown: the run's exit code says nothing about the numbers.
 */

export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly platform: string;
}

export interface RunDescription {
  readonly measuredAt: string;
  readonly machine: Machine;
  /** `full`, or what made the run partial (`--quick`, `--only 1,6`). */
  readonly mode: string;
  readonly figures: readonly Figure[];
}

/** results.json: every key, null where the run measured nothing; nothing else. */
export function resultsOf(measured: MeasuredResults, run: Pick<RunDescription, 'measuredAt' | 'machine'>) {
  const results: BenchResults = {
    reactionMs: measured.reactionMs ?? null,
    addedDetectionSeconds: measured.addedDetectionSeconds ?? null,
    crashDetectionSeconds: measured.crashDetectionSeconds ?? null,
    transitions: measured.transitions ?? null,
    costUsd: measured.costUsd ?? null,
    synthSeconds: measured.synthSeconds ?? null,
    bundles: measured.bundles ?? null,
    rehearsalSeconds: measured.rehearsalSeconds ?? null,
    testSeconds: measured.testSeconds ?? null,
    measuredAt: run.measuredAt,
    node: run.machine.node,
  };
  // Written in RESULT_KEYS' order, whatever the figures returned.
  return Object.fromEntries(RESULT_KEYS.map((key) => [key, results[key]])) as unknown as BenchResults;
}

/** `met`, `**miss** (goal: …)` or `–` when there is nothing to hold against the goal. */
export function verdictOf(figure: Figure): string {
  if (figure.met === null) return '–';
  return figure.met ? 'met' : `**miss** (goal: ${CATALOGUE[figure.id].goal})`;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderMarkdown(run: RunDescription): string {
  const { machine } = run;
  const missed = run.figures.filter((figure) => figure.met === false).map((figure) => figure.id);
  const lines = [
    '# Benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts); the numbers are also in `bench/results.json`. A figure that misses its',
    'goal is reported as a miss with the goal beside it; the run never fails on a number.',
    '',
    '| measured | cores | CPU | memory | Node | platform | run |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| ${run.measuredAt} | ${machine.cores} | ${cell(machine.cpuModel)} | ${machine.memoryGiB} GiB | ${machine.node} | ${machine.platform} | ${cell(run.mode)} |`,
    '',
    missed.length === 0 ? 'No figure misses its goal.' : `Missed: ${missed.map((id) => `figure ${id}`).join(', ')}.`,
    '',
    '| # | figure | value | goal | result |',
    '| --- | --- | --- | --- | --- |',
    ...run.figures.map(
      (figure) =>
        `| ${figure.id} | ${cell(CATALOGUE[figure.id].title)} | ${cell(figure.value)} | ${cell(CATALOGUE[figure.id].goal)} | ${cell(verdictOf(figure))} |`,
    ),
  ];
  for (const figure of run.figures) {
    if (figure.details.length === 0) continue;
    lines.push('', `## ${figure.id}. ${CATALOGUE[figure.id].title}`, '', ...figure.details);
  }
  return `${lines.join('\n')}\n`;
}

/** The console's summary: one line per figure, a miss in capitals with its goal. */
export function renderSummary(figures: readonly Figure[]): string {
  return figures
    .map((figure) => {
      const verdict = figure.met === null ? '' : figure.met ? '  met' : `  MISS (goal: ${CATALOGUE[figure.id].goal})`;
      return `${figure.id}. ${CATALOGUE[figure.id].title}\n   ${figure.value}${verdict}`;
    })
    .join('\n');
}

export function writeReport(
  paths: { readonly markdown: string; readonly json: string },
  run: RunDescription,
  measured: MeasuredResults,
): void {
  for (const path of [paths.markdown, paths.json]) mkdirSync(dirname(path), { recursive: true });
  writeFileSync(paths.markdown, renderMarkdown(run));
  writeFileSync(paths.json, `${JSON.stringify(resultsOf(measured, run), null, 2)}\n`);
}
