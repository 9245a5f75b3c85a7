/**
 * What a benchmark run produces: one row per figure of issue 18 (its value, its goal, met or missed) with the
 * details that explain it, and bench/results.json's keys, which other tools read.
 */

export interface BundleResult {
  readonly name: string;
  /** Minified bundle size. */
  readonly bytes: number;
  /** Median module-load time of the bundle in a fresh Node process. */
  readonly loadMs: number;
  /** The same for a bundle of only the AWS SDK clients it carries, measured alike, in the same run. */
  readonly sdkOnlyLoadMs: number;
}

/** bench/results.json: exactly these keys; a figure that was not measured (or failed) is null. */
export interface BenchResults {
  readonly reactionMs: { readonly median: number; readonly p95: number } | null;
  readonly addedDetectionSeconds: number | null;
  readonly crashDetectionSeconds: number | null;
  readonly transitions: { readonly happy: number; readonly rollback: number } | null;
  readonly costUsd: { readonly happy: number; readonly rollback: number } | null;
  readonly synthSeconds: number | null;
  readonly bundles: readonly BundleResult[] | null;
  readonly rehearsalSeconds: { readonly default: number; readonly suite: number | null } | null;
  readonly testSeconds: number | null;
  readonly measuredAt: string;
  readonly node: string;
}

export const RESULT_KEYS = [
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
] as const satisfies readonly (keyof BenchResults)[];

export type MeasuredResults = Partial<Omit<BenchResults, 'measuredAt' | 'node'>>;

export interface Figure {
  readonly id: FigureId;
  /** The measured value, in words (`median 412 ms, p95 430 ms`); what was not measured says why. */
  readonly value: string;
  /** true: the goal is met; false: missed; null: nothing to hold against it (not measured, or not comparable). */
  readonly met: boolean | null;
  /** Markdown lines under the figure's own section (how it was measured, what costs it). */
  readonly details: readonly string[];
}

export interface FigureOutcome {
  readonly figures: readonly Figure[];
  readonly results: MeasuredResults;
}

export const FIGURE_IDS = [1, 2, 3, 4, 5, 6, 7, 8] as const;
export type FigureId = (typeof FIGURE_IDS)[number];

/** Each figure's name and the goal it is held against (issue 18). */
export const CATALOGUE: Readonly<Record<FigureId, { readonly title: string; readonly goal: string }>> = {
  1: {
    title: 'Pipeline-added reaction: alarm in ALARM → listener confirmed at 100 % old side (100 ms per AWS call)',
    goal: 'median under 400 ms',
  },
  2: {
    title: 'Detection, error-rate breach from the 50 % step: breach start → traffic back, beyond window + delay',
    goal: 'under 1 s added',
  },
  3: { title: 'Crash detection, green stops answering at 10 %: first failed probe → traffic back', goal: 'under 15 s' },
  4: {
    title: 'Step Functions state transitions and cost: happy path / rollback at 50 %',
    goal: 'happy path at most 80 transitions',
  },
  5: { title: '`cdk synth` wall time from a clean output folder, median of 3', goal: 'under 20 s on 2 cores' },
  6: {
    title: 'Lambda bundles: size, module load beside their bare AWS SDK clients (fresh process)',
    goal: 'at most +25 % over the SDK clients; no client the agent does not call',
  },
  7: { title: 'Rehearsal wall time: default scenario / whole scenario suite', goal: 'default under 2 s' },
  8: { title: '`npm test` wall time', goal: 'under 90 s' },
};

/** A figure that was not measured in this run, with the reason. */
export function notMeasured(id: FigureId, why: string): Figure {
  return { id, value: `not measured: ${why}`, met: null, details: [] };
}
