import * as v from 'valibot';
import type { PostDeploymentVerifierConfig } from '../shared/config/post-deployment-verifier';
import { deploymentRefSchema } from '../shared/contracts';
import { greenEnvironmentSchema, migrationSchema, rollbackStateSchema, sidesSchema } from '../shared/cutover-contracts';
import {
  buildDeploymentReport,
  type DeploymentReport,
  type DeploymentReportInput,
  deploymentOutcomeSchema,
  type probeSummarySchema,
  reportCanaryStateSchema,
  rollbackDryRunSchema,
  validationReportSchema,
} from '../shared/deployment-report';
import { releaseSchema } from '../shared/deployment-request';
import { logger } from '../shared/logger';
import { smokeReportSchema } from '../shared/smoke-suite';
import { describeIssues, parse, record, strictObject, utcInstant } from '../shared/validation';
import { monitoringCheckResultSchema } from '../shared/verification';
import type { ExecutionHistory } from '../tools/execution-history';
import type { ProbeLedger } from '../tools/prober';
import type { ReportStore, StoredReport } from '../tools/report-store';

/**
 * The verifier's `writeReport` action: the deployment report from the execution's state, stored as JSON and
 * Markdown. The state machine passes its whole state (`$`): which parts exist depends on where the execution ended,
 * and a JSONPath to a part that does not exist would fail the task. Each part is read with its schema; a part that
 * is absent or unreadable is reported as missing (and logged), never guessed.
 */

export const writeReportRequestSchema = strictObject({
  action: v.literal('writeReport'),
  outcome: deploymentOutcomeSchema,
  /** `$$.State.EnteredTime` of the task: the report's end. */
  endedAt: utcInstant,
  state: record(v.string(), v.unknown()),
});
export type WriteReportRequest = v.InferOutput<typeof writeReportRequestSchema>;

export interface ReportTools {
  readonly ledger: Pick<ProbeLedger, 'read'>;
  /** The execution's state transitions so far (its history), for the report's cost figure. */
  readonly history: ExecutionHistory;
  readonly store: ReportStore;
  readonly now: () => Date;
}

/** What the execution output and the Chairman's message carry. */
export interface WrittenReport {
  readonly outcome: DeploymentReport['outcome']['status'];
  readonly summary: string;
  readonly ready: boolean;
  readonly json: string;
  readonly markdown: string;
  readonly consoleUrl: string;
  readonly risks: number;
}

/** Who picks the release up when it is promoted, unless the request names someone. */
export const DEFAULT_NEXT_STAGE = 'the release owner: the release is in production, watched and reported';

const objectAt = (value: unknown, key: string): unknown =>
  value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;

const stringAt = (value: unknown, key: string): string | null => {
  const found = objectAt(value, key);
  return typeof found === 'string' ? found : null;
};

function withoutKeys(value: unknown, keys: readonly string[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([name]) => !keys.includes(name)));
}

function part<Schema extends v.GenericSchema>(
  name: string,
  schema: Schema,
  value: unknown,
): v.InferOutput<Schema> | null {
  if (value === undefined || value === null) return null;
  const parsed = v.safeParse(schema, value);
  if (parsed.success) return parsed.output;
  logger.warn('a part of the execution state is unreadable and is reported as missing', {
    part: name,
    issues: describeIssues(parsed.issues.slice(0, 3)),
  });
  return null;
}

/**
 * A Catch's `Cause` as text: on AWS a Lambda error's Cause is JSON ({ errorType, errorMessage, trace }), of which the
 * message is what a person needs; anything else (a plain message, as local runs give) is kept as it is.
 */
function causeText(cause: unknown): string {
  if (typeof cause !== 'string') return '';
  try {
    const parsed: unknown = JSON.parse(cause);
    const errorMessage = objectAt(parsed, 'errorMessage');
    if (typeof errorMessage === 'string') return errorMessage.trim();
  } catch {
    // Not JSON: a plain message.
  }
  return cause.trim();
}

/** The error a failed or escalated execution ended with, as its Record* states left it. */
function endError(request: WriteReportRequest): { name: string; message: string } | null {
  const { state, outcome } = request;
  if (outcome === 'FAILED') {
    const error = objectAt(state.outcome, 'error');
    const message =
      typeof objectAt(state.outcome, 'message') === 'string' ? String(objectAt(state.outcome, 'message')) : '';
    // The cause says what stopped it (which alarm, which check): kept unless the message already says it.
    const cause = causeText(objectAt(state.outcome, 'cause'));
    const full = cause === '' || message.includes(cause) ? message : message === '' ? cause : `${message}: ${cause}`;
    return { name: typeof error === 'string' ? error : 'Failed', message: full };
  }
  if (outcome === 'ROLLBACK_FAILED') {
    const reason = objectAt(state.escalation, 'reason') ?? objectAt(state.rollback, 'reason');
    return { name: 'RollbackFailed', message: typeof reason === 'string' ? reason : 'the rollback did not complete' };
  }
  return null;
}

export function reportInputFrom(
  request: WriteReportRequest,
  config: PostDeploymentVerifierConfig,
  probes: v.InferOutput<typeof probeSummarySchema> | null,
  stateTransitions: number | null = null,
): DeploymentReportInput {
  const { state } = request;
  const { dryRun, retirement } = state;
  const deployment = parse(deploymentRefSchema, state.deployment);
  return {
    deployment,
    release: parse(releaseSchema, state.release),
    requestedBy: typeof state.requestedBy === 'string' ? state.requestedBy : 'unknown',
    end: { outcome: request.outcome, at: request.endedAt, error: endError(request) },
    productionUrl: config.productionUrl,
    dashboards: config.report.dashboards,
    validation: part('validation report', validationReportSchema, state.report),
    sides: part('sides', sidesSchema, state.sides),
    green: part('green', greenEnvironmentSchema, state.green),
    migration: part('migration', migrationSchema, state.migration),
    canary: part('canary', reportCanaryStateSchema, state.canary),
    rollback: part('rollback', rollbackStateSchema, state.rollback),
    smoke: {
      preTraffic: part('pre-traffic smoke', smokeReportSchema, objectAt(state.preTrafficSmoke, 'report')),
      production: part('production smoke', smokeReportSchema, objectAt(state.productionSmoke, 'report')),
    },
    probes,
    // The verifier's decision and summary are the state machine's; the report keeps the tool's result.
    monitoring: part(
      'monitoring check',
      monitoringCheckResultSchema,
      withoutKeys(state.monitoring, ['decision', 'onMissing', 'summary']),
    ),
    // The race guard is the verifier's own record of the dry run, not part of the tool's result the report keeps.
    rollbackDryRun: part('rollback dry run', rollbackDryRunSchema, withoutKeys(dryRun, ['raceGuard'])),
    stateTransitions,
    thresholds: config.thresholds,
    nextStage: DEFAULT_NEXT_STAGE,
    standbyWarmUntil: null,
    standbyRetiredAt: stringAt(retirement, 'retiredAt'),
    greenScaledDownAt: stringAt(state.greenScaleDown, 'scaledDownAt'),
  };
}

export function createReportAction(config: PostDeploymentVerifierConfig, tools: ReportTools) {
  /** A history that cannot be read leaves the figure unknown: the report is still written. */
  const transitionsOf = async (executionArn: string): Promise<number | null> => {
    try {
      return (await tools.history.countTransitions(executionArn)).transitions;
    } catch (error) {
      logger.warn('the execution history could not be read: state transitions not counted', {
        executionArn,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      return null;
    }
  };

  return async function writeReport(request: WriteReportRequest): Promise<WrittenReport> {
    const deployment = parse(deploymentRefSchema, request.state.deployment);
    const ledger = await tools.ledger.read(deployment.name);
    const report = buildDeploymentReport(
      reportInputFrom(request, config, ledger, await transitionsOf(deployment.executionArn)),
      tools.now(),
    );
    const stored: StoredReport = await tools.store.store(report);
    return {
      outcome: report.outcome.status,
      summary: report.outcome.summary,
      ready: report.handoff.ready,
      json: stored.json.s3Uri,
      markdown: stored.markdown.s3Uri,
      consoleUrl: stored.consoleUrl,
      risks: report.risks.length,
    };
  };
}
