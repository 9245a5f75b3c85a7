import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Figure, notMeasured } from '../../bench/figures';
import { type RunDescription, renderMarkdown, renderSummary, resultsOf, writeReport } from '../../bench/report';

/**
 * The benchmark report: a figure that misses its goal is printed as a miss with the goal beside it (in BENCHMARKS.md
 * and on the console), and bench/results.json carries exactly the keys issue 18 names, null where nothing was
 * measured.
 */

const MACHINE = { cores: 2, cpuModel: 'Test CPU', memoryGiB: 8, node: 'v22.0.0', platform: 'linux x64' };
const MISSED: Figure = {
  id: 1,
  value: 'median 412 ms, p95 430 ms; 3 AWS calls in sequence before ModifyListener',
  met: false,
  details: ['- the calls: DynamoDB GetItem → DynamoDB UpdateItem → DynamoDB GetItem'],
};
const MET: Figure = { id: 3, value: '10 s from the first failed probe to traffic back', met: true, details: [] };

function run(figures: readonly Figure[]): RunDescription {
  return { measuredAt: '2026-12-01T10:00:00.000Z', machine: MACHINE, mode: 'full', figures };
}

/** The table row of figure `id` in the Markdown. */
function rowOf(markdown: string, id: number): string {
  const row = markdown.split('\n').find((line) => line.startsWith(`| ${id} |`));
  if (row === undefined) throw new Error(`no row for figure ${id} in:\n${markdown}`);
  return row;
}

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('BENCHMARKS.md', () => {
  it('prints a missed figure as a miss with its goal beside its value, and a met one as met', () => {
    // Prepare
    const description = run([MISSED, MET]);

    // Act
    const markdown = renderMarkdown(description);

    // Assess
    expect(rowOf(markdown, 1)).toContain(MISSED.value);
    expect(rowOf(markdown, 1)).toContain('| median under 400 ms | **miss** (goal: median under 400 ms) |');
    expect(rowOf(markdown, 3)).toMatch(/\| under 15 s \| met \|$/);
    expect(markdown).toContain('Missed: figure 1.');
  });

  it("heads the report with the date, the machine's cores and the Node version, and keeps each figure's details", () => {
    // Prepare
    const description = run([MISSED]);

    // Act
    const markdown = renderMarkdown(description);

    // Assess
    expect(markdown).toContain('| 2026-12-01T10:00:00.000Z | 2 | Test CPU | 8 GiB | v22.0.0 | linux x64 | full |');
    expect(markdown).toContain('- the calls: DynamoDB GetItem → DynamoDB UpdateItem → DynamoDB GetItem');
  });

  it('gives a figure that was not measured no verdict, and says why', () => {
    // Prepare
    const description = run([notMeasured(5, 'skipped by --quick')]);

    // Act
    const markdown = renderMarkdown(description);

    // Assess
    expect(rowOf(markdown, 5)).toMatch(/\| not measured: skipped by --quick \| under 20 s on 2 cores \| – \|$/);
    expect(markdown).toContain('No figure misses its goal.');
  });
});

describe('console summary', () => {
  it('prints a miss in capitals with the goal, and met figures as met', () => {
    // Act
    const summary = renderSummary([MISSED, MET]);

    // Assess
    expect(summary).toContain(`${MISSED.value}  MISS (goal: median under 400 ms)`);
    expect(summary).toContain(`${MET.value}  met`);
  });
});

describe('bench/results.json', () => {
  it('has exactly the keys of issue 18, in its order, null where nothing was measured', () => {
    // Prepare
    dir = mkdtempSync(join(tmpdir(), 'bench-report-test-'));
    const paths = { markdown: join(dir, 'BENCHMARKS.md'), json: join(dir, 'results.json') };

    // Act
    writeReport(paths, run([MISSED]), { reactionMs: { median: 412, p95: 430 } });

    // Assess
    const written = JSON.parse(readFileSync(paths.json, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(written)).toEqual([
      'reactionMs',
      'addedDetectionSeconds',
      'crashDetectionSeconds',
      'transitions',
      'costUsd',
      'synthSeconds',
      'bundles',
      'rehearsalSeconds',
      'testSeconds',
      'measuredAt',
      'node',
    ]);
    expect(written).toMatchObject({
      reactionMs: { median: 412, p95: 430 },
      synthSeconds: null,
      bundles: null,
      measuredAt: '2026-12-01T10:00:00.000Z',
      node: 'v22.0.0',
    });
    expect(readFileSync(paths.markdown, 'utf8')).toContain('**miss** (goal: median under 400 ms)');
  });

  it('keeps no key a figure returned beyond the issue’s, and the nested shapes as given', () => {
    // Prepare: a measurement that returned more than it should.
    const measured = {
      bundles: [{ name: 'rollback-trigger', bytes: 943_064, loadMs: 128.6, sdkOnlyLoadMs: 69.2 }],
      rehearsalSeconds: { default: 2.8, suite: null },
      extra: 1,
    };

    // Act
    const results = resultsOf(measured, run([]));

    // Assess
    expect(results).not.toHaveProperty('extra');
    expect(results.bundles).toEqual(measured.bundles);
    expect(results.rehearsalSeconds).toEqual({ default: 2.8, suite: null });
  });
});
