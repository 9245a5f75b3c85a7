import { runRehearsal } from '../rehearsal/rehearse';
import {
  checkExpectation,
  DEFAULT_SCENARIO,
  listScenarios,
  loadScenario,
  rehearsalOptionsOf,
} from '../rehearsal/scenario';
import type { FigureOutcome } from './figures';
import { lastLines, timedRun } from './spawn';
import { median, round } from './stats';

/**
 * Figure 7. The default scenario as a user waits for it: `npm run -s rehearse` from spawn to exit (median of 3),
 * beside runRehearsal alone in this process (already warm: earlier figures ran rehearsals), which tells the
 * rehearsal from the start-up around it. The suite: every shipped scenario through runRehearsal one after another in
 * this process (as `npm test`'s scenario suite runs them).
 */

const DEFAULT_RUNS = 3;

export interface RehearsalBenchOptions {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  /** false: the suite is skipped and the CLI runs once. */
  readonly full: boolean;
}

async function cliSeconds(options: RehearsalBenchOptions): Promise<number[]> {
  const runs: number[] = [];
  for (let run = 0; run < (options.full ? DEFAULT_RUNS : 1); run += 1) {
    const result = await timedRun('npm', ['run', '-s', 'rehearse', '--', '--scenario', DEFAULT_SCENARIO], {
      cwd: options.root,
      env: options.env,
      timeoutMs: 120_000,
    });
    if (result.code !== 0) {
      throw new Error(`npm run rehearse exited ${result.code}:\n${lastLines(result.tail).join('\n')}`);
    }
    runs.push(result.seconds);
  }
  return runs;
}

async function timed(name: string): Promise<{ seconds: number; met: boolean }> {
  const scenario = loadScenario(name);
  const startedAt = performance.now();
  const result = await runRehearsal(rehearsalOptionsOf(scenario));
  const seconds = (performance.now() - startedAt) / 1000;
  return { seconds, met: checkExpectation(scenario, result).met };
}

export async function measureRehearsal(options: RehearsalBenchOptions): Promise<FigureOutcome> {
  const inProcess: number[] = [];
  for (let run = 0; run < DEFAULT_RUNS; run += 1) inProcess.push((await timed(DEFAULT_SCENARIO)).seconds);
  const cli = await cliSeconds(options);
  const defaultSeconds = round(median(cli), 2);

  let suiteSeconds: number | null = null;
  const slowest: { name: string; seconds: number }[] = [];
  const unmet: string[] = [];
  if (options.full) {
    let total = 0;
    for (const { name } of listScenarios()) {
      const run = await timed(name);
      total += run.seconds;
      slowest.push({ name, seconds: run.seconds });
      if (!run.met) unmet.push(name);
    }
    suiteSeconds = round(total, 1);
    slowest.sort((a, b) => b.seconds - a.seconds);
  }
  const seconds = (runs: readonly number[]) => runs.map((run) => `${round(run, 2)} s`).join(', ');
  const details = [
    `- \`npm run -s rehearse -- --scenario ${DEFAULT_SCENARIO}\`, spawn to exit: ${seconds(cli)} (the figure: median)`,
    `- runRehearsal alone, in the bench process (modules loaded, JIT warm): ${seconds(inProcess)}`,
    `- so start-up (npm, esbuild bundling our TypeScript (rehearsal/launch.mjs), loading the agents, the SDK and the ASL)` +
      ` and the CLI's output take` +
      ` about ${round(median(cli) - median(inProcess), 1)} s of the ${defaultSeconds} s`,
  ];
  if (suiteSeconds !== null) {
    details.push(
      '',
      `- suite: ${slowest.length} scenarios one after another, ${suiteSeconds} s`,
      `- slowest: ${slowest
        .slice(0, 5)
        .map((run) => `${run.name} ${round(run.seconds, 2)} s`)
        .join(', ')}`,
      unmet.length === 0
        ? '- every scenario ended as its file expects'
        : `- scenarios that did not end as expected: ${unmet.join(', ')}`,
    );
  }
  return {
    figures: [
      {
        id: 7,
        value: `default ${defaultSeconds} s (npm run rehearse; the rehearsal alone ${round(median(inProcess), 2)} s); suite ${suiteSeconds === null ? 'not measured (--quick)' : `${suiteSeconds} s`}`,
        met: defaultSeconds < 2,
        details,
      },
    ],
    results: { rehearsalSeconds: { default: defaultSeconds, suite: suiteSeconds } },
  };
}
