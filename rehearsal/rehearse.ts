import type { DeploymentReport } from '../lambdas/shared/deployment-report';
import { STANDARD_WORKFLOW_USD_PER_1000_TRANSITIONS } from '../lambdas/shared/deployment-report';
import { startLocalDynamo } from './dynalite';
import { type TimelineEntry, timelineRecorder } from './timeline';
import { createWorld, type WorldOptions } from './workflow-world';

/**
 * One rehearsal: the real ASL, run by aws-local-stepfunctions, every Task routed to the real agent code over the
 * simulated production, the lock in dynalite, time virtual. No AWS call leaves the process: every SDK client the
 * agents get is answered by the simulation, and a Task without a local route refuses to start.
 */

export interface RehearsalOptions {
  readonly world?: WorldOptions;
  /** Called with each timeline entry as it happens. */
  readonly onEntry?: (entry: TimelineEntry) => void;
}

export interface RehearsalRollback {
  /** The decided type (traffic, database, full); `databaseRestored` says whether its database part was done. */
  readonly type: string | null;
  /** null: the decision had no database part; false: declined, refused or failed. */
  readonly databaseRestored: boolean | null;
  readonly trigger: string;
  /** From the trigger to the listener confirmed back on the old side; null when unknown. */
  readonly reactionSeconds: number | null;
}

export interface RehearsalResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** The execution's error name, or null. */
  readonly error: string | null;
  readonly cause: string | null;
  /** Every weight applied to green, in order. */
  readonly greenWeights: readonly number[];
  readonly rollback: RehearsalRollback | null;
  /** State transitions the execution used (states entered and retries), and what they cost on AWS. */
  readonly transitions: number;
  readonly costUsd: number;
  readonly simulatedSeconds: number;
  readonly report: DeploymentReport | null;
  /** Where the report went (the simulated bucket's keys). */
  readonly reportKeys: readonly string[];
  readonly timeline: readonly TimelineEntry[];
}

export async function runRehearsal(options: RehearsalOptions = {}): Promise<RehearsalResult> {
  const dynamo = await startLocalDynamo();
  try {
    const world = createWorld(dynamo, options.world ?? {});
    const { production } = world;
    const startedAt = production.clock.now();
    const timeline = timelineRecorder(
      { now: production.clock.nowFn, startedAt, greenWeight: () => production.currentGreenWeight() },
      options.onEntry,
    );
    const run = await world.run({ onEvent: timeline.onEvent });
    const [report = null] = world.verification.jsonReports();
    const rollback = report?.outcome.rollback ?? null;
    const transitions = run.visited.length + run.retries.length;
    return {
      status: run.status,
      error: run.error ?? null,
      cause: run.cause ?? null,
      greenWeights: [...production.greenWeights],
      rollback:
        rollback === null
          ? null
          : {
              type: rollback.type ?? null,
              databaseRestored: rollback.databaseRestored,
              trigger: rollback.trigger,
              reactionSeconds:
                report?.metrics.weightEffective.find((figure) => figure.kind === 'rollback')?.seconds ?? null,
            },
      transitions,
      costUsd: (transitions * STANDARD_WORKFLOW_USD_PER_1000_TRANSITIONS) / 1000,
      simulatedSeconds: Math.round((production.clock.now().getTime() - startedAt.getTime()) / 1000),
      report,
      reportKeys: world.verification.reportKeys(),
      timeline: timeline.entries,
    };
  } finally {
    await dynamo.close();
  }
}
