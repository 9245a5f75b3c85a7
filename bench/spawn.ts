import { spawn } from 'node:child_process';

/** One child process, timed from spawn to exit; its output is kept (the tail) for a report of what went wrong. */

export interface TimedRun {
  readonly seconds: number;
  /** The exit code; null when a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  /** The last lines of stdout and stderr together. */
  readonly tail: string;
}

const TAIL_CHARS = 2_000;

export function timedRun(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly timeoutMs?: number },
): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let both = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      both = (both + chunk.toString()).slice(-TAIL_CHARS);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      both = (both + chunk.toString()).slice(-TAIL_CHARS);
    });
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGTERM'), options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ seconds: (performance.now() - startedAt) / 1000, code, stdout, tail: both.trim() });
    });
  });
}

/** The last `count` lines of a child's output, indented for a Markdown list. */
export function lastLines(text: string, count = 5): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-count)
    .map((line) => `    ${line}`);
}
