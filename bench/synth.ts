import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FigureOutcome } from './figures';
import { lastLines, timedRun } from './spawn';
import { median, round } from './stats';

/**
 * Figure 5: `npx cdk synth --quiet` into a new, empty output folder, three times; the median wall time. The synth
 * bundles every agent with esbuild (NodejsFunction), so that time is inside. The CLI's notices, version check and
 * telemetry are switched off: the machine may have no network, and they are not the synth.
 */

const RUNS = 3;
const TIMEOUT_MS = 10 * 60_000;

export async function measureSynth(options: {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
}): Promise<FigureOutcome> {
  const env = { ...options.env, CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' };
  const runs: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const out = mkdtempSync(join(tmpdir(), 'bench-synth-'));
    try {
      const result = await timedRun('npx', ['cdk', 'synth', '--quiet', '--no-notices', '-o', out], {
        cwd: options.root,
        env,
        timeoutMs: TIMEOUT_MS,
      });
      if (result.code !== 0) {
        throw new Error(`cdk synth exited ${result.code}:\n${lastLines(result.tail).join('\n')}`);
      }
      runs.push(result.seconds);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  const seconds = round(median(runs), 1);
  return {
    figures: [
      {
        id: 5,
        value: `median ${seconds} s (runs ${runs.map((s) => `${round(s, 1)} s`).join(', ')})`,
        met: seconds < 20,
        details: [
          `\`npx cdk synth --quiet --no-notices -o <new temporary folder>\`, ${RUNS} runs. Inside: starting the CLI and`,
          '`npx tsx bin/deployment-crew.ts` (cdk.json), building the stack and bundling the 8 agents with esbuild',
          '(figure 6 bundles the same entries alone).',
        ],
      },
    ],
    results: { synthSeconds: seconds },
  };
}
