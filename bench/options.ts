import { FIGURE_IDS, type FigureId } from './figures';

/** `npm run bench -- [--only 1,6] [--quick] [--out <dir>]`. */

export interface BenchOptions {
  /** The figures to measure, in order. */
  readonly only: readonly FigureId[];
  /** Fewer runs; `cdk synth`, `npm test` and the scenario suite are skipped. */
  readonly quick: boolean;
  /** Where BENCHMARKS.md and results.json go; null: the repository's BENCHMARKS.md and bench/results.json. */
  readonly out: string | null;
}

export const USAGE = 'usage: npm run bench -- [--only <figure,…> (1-8)] [--quick] [--out <dir>]';

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

function figureIds(list: string): FigureId[] {
  const ids = list.split(',').map((item) => item.trim());
  const known = new Set<string>(FIGURE_IDS.map(String));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new UsageError(`--only takes figure numbers 1-8 separated by commas, got ${JSON.stringify(list)}`);
  }
  return FIGURE_IDS.filter((id) => ids.includes(String(id)));
}

export function parseBenchArgs(args: readonly string[]): BenchOptions {
  let only: FigureId[] = [...FIGURE_IDS];
  let quick = false;
  let out: string | null = null;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] ?? '';
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const value = (): string => {
      if (inline === undefined) index += 1;
      const next = inline ?? args[index];
      if (next === undefined || next === '') throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === '--only') only = figureIds(value());
    else if (flag === '--quick' && inline === undefined) quick = true;
    else if (flag === '--out') out = value();
    else throw new UsageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  return { only, quick, out };
}

/** How the report names the run. */
export function modeOf(options: BenchOptions): string {
  const parts = [
    ...(options.quick ? ['--quick (fewer runs; synth, npm test and the scenario suite skipped)'] : []),
    ...(options.only.length < FIGURE_IDS.length ? [`--only ${options.only.join(',')}`] : []),
  ];
  return parts.length === 0 ? 'full' : parts.join(' ');
}
