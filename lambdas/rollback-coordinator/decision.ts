import type { DeploymentPhase, RollbackDecision, RollbackTrigger, RollbackType } from '../shared/cutover-contracts';

/**
 * The RollbackCoordinator's decision tree: which parts of a release to undo, given where the deployment was when the
 * trigger fired. Pure and total: every combination of inputs yields a decision, none throws.
 *
 * Principles, in order:
 * 1. Anything that may carry production traffic is rolled back: a green weight above 0, or a phase in which traffic
 *    was being shifted (CUTOVER, POST_PROMOTION). Restoring 100 % live is idempotent, so it is also done when the
 *    recorded weight is still 0 (a shift that failed half-way may have reached the listener).
 * 2. The database is rolled back only when a migration ran: in the MIGRATION phase (the schema may be half-applied),
 *    or later when the release carries a schema change. It always loses the writes made after the snapshot, so it
 *    waits for the Chairman's confirmation unless `autoDatabaseRollback` is configured.
 * 3. In PROVISIONING nothing reached production: the orchestrator scales green back, no rollback is needed.
 */
export interface RollbackDecisionInput {
  readonly trigger: RollbackTrigger;
  readonly phase: DeploymentPhase;
  /** The release declares a schema change (it runs a migration). */
  readonly schemaChange: boolean;
  /** The migration task was started (it may have changed the schema even if it failed). */
  readonly migrationStarted: boolean;
  /** Restore the database without waiting for the Chairman (configured per stack). */
  readonly autoDatabaseRollback: boolean;
  /** Green's weight on the listener as last recorded, 0-100. */
  readonly greenWeight: number;
}

const TRIGGER_WORDS: Readonly<Record<RollbackTrigger, string>> = {
  ERROR_RATE: "green's error rate breached its threshold",
  LATENCY: "green's p95 latency breached its threshold",
  DB_CONNECTIONS: 'database connections breached their threshold',
  ALARM: 'a watched alarm went into ALARM',
  INCONCLUSIVE: 'the canary stayed inconclusive too often',
  MANUAL: 'the Chairman asked for a rollback',
  MIGRATION_FAILED: 'the schema migration failed',
  TRAFFIC_SHIFT_FAILED: 'a traffic shift failed',
  GREEN_UNHEALTHY: 'green did not become healthy',
  SMOKE_FAILED: 'the smoke tests failed',
  HEALTH_CHECK_FAILED: 'a health check failed',
  PIPELINE_ERROR: 'the pipeline itself failed',
  GREEN_PROBE_FAILED: 'green stopped answering the prober',
};

const PHASE_WORDS: Readonly<Record<DeploymentPhase, string>> = {
  PROVISIONING: 'while green was being provisioned',
  MIGRATION: 'during the schema migration',
  CUTOVER: 'during the canary cutover',
  POST_PROMOTION: 'after green was promoted',
};

/** True when production traffic may have reached green. */
function trafficMayBeShifted(input: RollbackDecisionInput): boolean {
  return input.phase === 'CUTOVER' || input.phase === 'POST_PROMOTION' || weightAboveZero(input.greenWeight);
}

/** Defensive: a weight that is not a finite number counts as shifted (restoring live is harmless, missing it is not). */
function weightAboveZero(weight: number): boolean {
  return !Number.isFinite(weight) || weight > 0;
}

/** True when a migration may have changed the schema. */
function schemaMayBeChanged(input: RollbackDecisionInput): boolean {
  if (!input.migrationStarted) return false;
  return input.phase === 'MIGRATION' || (input.schemaChange && input.phase !== 'PROVISIONING');
}

export function decideRollback(input: RollbackDecisionInput): RollbackDecision {
  const cause =
    `${TRIGGER_WORDS[input.trigger] ?? `trigger ${String(input.trigger)}`} ${PHASE_WORDS[input.phase] ?? ''}`.trim();
  const traffic = trafficMayBeShifted(input);
  const database = schemaMayBeChanged(input);
  const databaseMode = input.autoDatabaseRollback ? 'auto' : 'confirm';
  const databaseWords = input.autoDatabaseRollback
    ? 'the database is then restored from the pre-deployment snapshot without confirmation (autoDatabaseRollback), losing every write made after the snapshot'
    : "restoring the database from the pre-deployment snapshot loses every write made after the snapshot, so it waits for the Chairman's confirmation";

  if (traffic && database) {
    return decision(
      'full',
      databaseMode,
      `${cause}: traffic goes back to live first, which puts the old code on the new schema; ${databaseWords}`,
    );
  }
  if (database) {
    return decision(
      'database',
      databaseMode,
      `${cause}: no traffic was shifted, but the migration ran and may have left the schema half-applied; ${databaseWords}`,
    );
  }
  if (traffic) {
    const schemaNote = input.schemaChange
      ? 'the release has a schema change but its migration never started, so the schema is unchanged'
      : 'the release has no schema change, so the database stays as it is';
    const weightNote = weightAboveZero(input.greenWeight)
      ? `green had ${formatWeight(input.greenWeight)} of traffic`
      : 'green still shows 0 % but restoring 100 % live is idempotent and confirms the listener state';
    return decision('traffic', 'none', `${cause}: traffic goes back to live (${weightNote}); ${schemaNote}`);
  }
  const nothingNote =
    input.phase === 'MIGRATION'
      ? 'the migration never started and no traffic was shifted, so production is untouched and only green is scaled back'
      : 'nothing reached production, so production is untouched and the orchestrator scales green back';
  return decision('none', 'none', `${cause}: ${nothingNote}`);
}

function formatWeight(weight: number): string {
  return Number.isFinite(weight) ? `${weight} %` : 'an unknown share';
}

function decision(type: RollbackType, database: RollbackDecision['database'], why: string): RollbackDecision {
  return { type, database, why: `${why}.` };
}

// ---------------------------------------------------------------------------------------------------------------
// The decision table: the tree's documented cases, used by the tests and printable in the README.

export interface RollbackTableRow {
  /** Omitted: the row holds for every trigger. */
  readonly trigger?: RollbackTrigger;
  readonly phase: DeploymentPhase;
  readonly schemaChange: boolean;
  readonly migrationStarted: boolean;
  readonly autoDatabaseRollback: boolean;
  /** Omitted: the row holds for the weights 0, 10 and 100 in CUTOVER/POST_PROMOTION, and 0 elsewhere. */
  readonly greenWeight?: number;
  readonly expected: { readonly type: RollbackType; readonly database: RollbackDecision['database'] };
}

// biome-ignore format: one row per line reads as a table
export const rollbackTable: readonly RollbackTableRow[] = [
  // PROVISIONING: nothing reached production.
  { phase: 'PROVISIONING', schemaChange: false, migrationStarted: false, autoDatabaseRollback: false, expected: { type: 'none', database: 'none' } },
  { phase: 'PROVISIONING', schemaChange: true, migrationStarted: false, autoDatabaseRollback: true, expected: { type: 'none', database: 'none' } },
  { trigger: 'GREEN_UNHEALTHY', phase: 'PROVISIONING', schemaChange: true, migrationStarted: false, autoDatabaseRollback: false, expected: { type: 'none', database: 'none' } },
  // MIGRATION: no traffic shifted, schema possibly half-applied.
  { trigger: 'MIGRATION_FAILED', phase: 'MIGRATION', schemaChange: true, migrationStarted: true, autoDatabaseRollback: false, expected: { type: 'database', database: 'confirm' } },
  { trigger: 'MIGRATION_FAILED', phase: 'MIGRATION', schemaChange: true, migrationStarted: true, autoDatabaseRollback: true, expected: { type: 'database', database: 'auto' } },
  { trigger: 'MANUAL', phase: 'MIGRATION', schemaChange: true, migrationStarted: true, autoDatabaseRollback: false, expected: { type: 'database', database: 'confirm' } },
  { trigger: 'MANUAL', phase: 'MIGRATION', schemaChange: true, migrationStarted: false, autoDatabaseRollback: true, expected: { type: 'none', database: 'none' } },
  { phase: 'MIGRATION', schemaChange: false, migrationStarted: false, autoDatabaseRollback: false, expected: { type: 'none', database: 'none' } },
  // CUTOVER / POST_PROMOTION without a migration that ran: traffic only.
  { phase: 'CUTOVER', schemaChange: false, migrationStarted: false, autoDatabaseRollback: false, expected: { type: 'traffic', database: 'none' } },
  { phase: 'CUTOVER', schemaChange: false, migrationStarted: false, autoDatabaseRollback: true, expected: { type: 'traffic', database: 'none' } },
  { phase: 'CUTOVER', schemaChange: true, migrationStarted: false, autoDatabaseRollback: true, expected: { type: 'traffic', database: 'none' } },
  { phase: 'POST_PROMOTION', schemaChange: false, migrationStarted: false, autoDatabaseRollback: false, expected: { type: 'traffic', database: 'none' } },
  { trigger: 'TRAFFIC_SHIFT_FAILED', phase: 'CUTOVER', schemaChange: false, migrationStarted: false, autoDatabaseRollback: false, greenWeight: 0, expected: { type: 'traffic', database: 'none' } },
  // CUTOVER / POST_PROMOTION after a schema change that ran: traffic first, then the database.
  { phase: 'CUTOVER', schemaChange: true, migrationStarted: true, autoDatabaseRollback: false, expected: { type: 'full', database: 'confirm' } },
  { phase: 'CUTOVER', schemaChange: true, migrationStarted: true, autoDatabaseRollback: true, expected: { type: 'full', database: 'auto' } },
  { phase: 'POST_PROMOTION', schemaChange: true, migrationStarted: true, autoDatabaseRollback: false, expected: { type: 'full', database: 'confirm' } },
  { phase: 'POST_PROMOTION', schemaChange: true, migrationStarted: true, autoDatabaseRollback: true, expected: { type: 'full', database: 'auto' } },
  { trigger: 'TRAFFIC_SHIFT_FAILED', phase: 'CUTOVER', schemaChange: true, migrationStarted: true, autoDatabaseRollback: false, greenWeight: 0, expected: { type: 'full', database: 'confirm' } },
];

function weightColumn(row: RollbackTableRow): string {
  if (row.greenWeight !== undefined) return `${row.greenWeight} %`;
  return row.phase === 'CUTOVER' || row.phase === 'POST_PROMOTION' ? 'any' : '0 %';
}

/** The table as Markdown, for the README. */
export function rollbackTableMarkdown(rows: readonly RollbackTableRow[] = rollbackTable): string {
  const yes = (value: boolean) => (value ? 'yes' : 'no');
  const lines = [
    '| Trigger | Phase | Schema change | Migration started | Auto DB rollback | Green weight | Rollback | Database |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    lines.push(
      `| ${row.trigger ?? 'any'} | ${row.phase} | ${yes(row.schemaChange)} | ${yes(row.migrationStarted)} | ` +
        `${yes(row.autoDatabaseRollback)} | ${weightColumn(row)} | ` +
        `${row.expected.type} | ${row.expected.database} |`,
    );
  }
  return lines.join('\n');
}
