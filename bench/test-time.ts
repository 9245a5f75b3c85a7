import type { FigureOutcome } from './figures';
import { lastLines, timedRun } from './spawn';
import { round } from './stats';

/**
 * Figure 8: one `npm test` (lint, type-check, vitest) from spawn to exit. A run that fails is reported with its exit
 * code and no verdict: lint or tsc stopping early says nothing about how long the suite takes.
 */

const TIMEOUT_MS = 20 * 60_000;

// biome-ignore lint/suspicious/noControlCharactersInRegex: vitest colours its output on some terminals
const plain = (output: string) => output.replace(/\u001b\[[0-9;]*m/g, '');

/** vitest's own summary line (`Duration  71.23s (transform …)`), when it got that far. */
function vitestDuration(output: string): string | null {
  return /Duration\s+([^\n]+)/.exec(plain(output))?.[1]?.trim() ?? null;
}

/** vitest's per-file lines (` ✓ test/x.test.ts (7 tests) 1234ms`), slowest first. */
export function slowestTestFiles(output: string, count = 8): { file: string; seconds: number }[] {
  const files = [...plain(output).matchAll(/^\s*\S+\s+(\S+\.test\.ts)\s+\([^)]*\)\s+([\d.]+)(ms|s)\s*$/gm)].map(
    ([, file = '', value = '0', unit]) => ({ file, seconds: Number(value) / (unit === 'ms' ? 1000 : 1) }),
  );
  return files.sort((a, b) => b.seconds - a.seconds).slice(0, count);
}

export async function measureTestTime(options: {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
}): Promise<FigureOutcome> {
  const result = await timedRun('npm', ['test'], { cwd: options.root, env: options.env, timeoutMs: TIMEOUT_MS });
  const seconds = round(result.seconds, 1);
  const passed = result.code === 0;
  const duration = vitestDuration(result.stdout);
  const slowest = slowestTestFiles(result.stdout);
  return {
    figures: [
      {
        id: 8,
        value: passed ? `${seconds} s` : `${seconds} s, but npm test exited ${result.code}: not a full run`,
        met: passed ? seconds < 90 : null,
        details: [
          '`npm test` once: `npm run lint && npm run typecheck && vitest run`, spawn to exit.',
          ...(duration === null ? [] : ['', `- vitest's own summary: ${duration}`]),
          ...(slowest.length === 0
            ? []
            : [
                `- slowest test files (their own time; vitest runs files in parallel, one worker per core): ${slowest
                  .map((one) => `${one.file} ${round(one.seconds, 1)} s`)
                  .join(', ')}`,
              ]),
          ...(passed ? [] : ['', `- it exited ${result.code}; its last lines:`, '', ...lastLines(result.tail, 8)]),
        ],
      },
    ],
    // A failed run's time is no figure for tools to read.
    results: { testSeconds: passed ? seconds : null },
  };
}
