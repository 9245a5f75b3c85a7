import { readDefinition } from '../lib/state-machine-definition';
import type { EventLog } from './local-workflow';

/**
 * The rehearsal's timeline: one entry per step of the execution as it happens, in simulated time, with the agent and
 * action the ASL names for it, green's weight on the listener at that moment, and what the step decided (a verdict
 * with its numbers, a rollback's trigger and type). The CLI prints it, the chart draws it, `--json` carries it.
 */

export interface TimelineEntry {
  /** Simulated time (ISO 8601) and seconds since the execution started. */
  readonly at: string;
  readonly seconds: number;
  readonly state: string;
  readonly phase: Phase;
  /** The agent the state invokes (`BlueGreenOrchestrator`, …), `Step Functions` for its own integrations. */
  readonly agent: string;
  /** The agent's action (`shiftTraffic`, …), or the integration (`dynamodb:putItem`, `Wait`, `Choice`). */
  readonly action: string;
  readonly outcome: 'ok' | 'failed' | 'caught';
  /** Green's share of the listener after the step, in %. */
  readonly greenWeight: number;
  /** The verdict's numbers, when the step judged a bake. */
  readonly errorRatePercent: number | null;
  readonly p95LatencyMs: number | null;
  readonly dbConnectionsPercent: number | null;
  /** What the step decided, in words: a verdict, a rollback trigger and type, the end. */
  readonly decision: string | null;
}

export type Phase = 'start' | 'validation' | 'provisioning' | 'cutover' | 'post-promotion' | 'rollback' | 'end';

type AslState = {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: { States: Record<string, AslState> }[];
};

const AGENTS: Readonly<Record<string, string>> = {
  DeploymentIntakeFunctionArn: 'DeploymentIntake',
  ApprovalRequestFunctionArn: 'Chairman (approval)',
  PreDeploymentValidatorFunctionArn: 'PreDeploymentValidator',
  BlueGreenOrchestratorFunctionArn: 'BlueGreenOrchestrator',
  RollbackCoordinatorFunctionArn: 'RollbackCoordinator',
  PostDeploymentVerifierFunctionArn: 'PostDeploymentVerifier',
};

interface StateInfo {
  readonly type: string;
  readonly agent: string;
  readonly action: string;
}

function placeholderOf(value: unknown): string | undefined {
  return typeof value === 'string' ? /^\$\{([A-Za-z]+)\}$/.exec(value)?.[1] : undefined;
}

function infoOf(state: AslState): StateInfo {
  const parameters = state.Parameters ?? {};
  const payload = (parameters.Payload ?? parameters) as Record<string, unknown>;
  const placeholder = placeholderOf(state.Resource) ?? placeholderOf(parameters.FunctionName);
  const agent = placeholder === undefined ? undefined : AGENTS[placeholder];
  if (agent !== undefined) {
    return { type: state.Type, agent, action: typeof payload.action === 'string' ? payload.action : 'invoke' };
  }
  const integration = state.Resource?.replace(/^arn:aws:states:::/, '');
  return { type: state.Type, agent: 'Step Functions', action: integration ?? state.Type };
}

function collect(states: Record<string, AslState>, into: Map<string, StateInfo>): Map<string, StateInfo> {
  for (const [name, state] of Object.entries(states)) {
    into.set(name, infoOf(state));
    for (const branch of state.Branches ?? []) collect(branch.States, into);
  }
  return into;
}

/** Every state of the deployed definition, with its agent and action. */
export const STATES: ReadonlyMap<string, StateInfo> = collect(
  (JSON.parse(readDefinition().text) as { States: Record<string, AslState> }).States,
  new Map(),
);

const PHASE_OF_STATE: readonly [RegExp, Phase][] = [
  [/^(ValidateInput|AcquireDeploymentLock|RequestChairmanApproval)$/, 'start'],
  [
    /^(PreDeploymentValidation|BuildValidationReport|CheckProductionHealth|.*DatabaseSnapshot.*|IsSnapshot.*)$/,
    'validation',
  ],
  [
    /^(ResolveSides|ProvisionGreen|WaitForGreen|CheckGreen|IsGreenReady|NeedsMigration|.*Migration.*|SmokeTestGreen|RoutePreTrafficSmoke|PreTrafficSmokeFailed)$/,
    'provisioning',
  ],
  [
    /^(StartCanary|ShiftTraffic|StartBakeProbes|BakeStep|EvaluateStep|WaitForMetrics|RouteVerdict|ConfirmPromotion)$/,
    'cutover',
  ],
  [
    /^(StartWatchProbes|SmokeTestProduction|RouteProductionSmoke|CheckMonitoring|RouteMonitoring|DryRunRollback|WatchOldSide|RetireOldSide|WriteReport|ReleaseDeploymentLock|NotifyPromotion|NotifyLockNotReleased|DescribeReportNotWritten)$/,
    'post-promotion',
  ],
  [
    /^(Record.*Rollback.*|Record.*Request|Record.*Failed|Record.*Error|Record.*Unhealthy|RecordMonitoringMissing|BeginRollback|RouteRollback|RollbackTraffic|.*Rollback.*|.*DatabaseRestore.*|IsDatabaseRestored|.*Escalat.*|MarkLockEscalated|FinishRollback|ReleaseLockAfterRollback|NotifyRollback|EmitRollbackEvent|PrepareMinimalRollbackRecord|ScaleDownGreenAfterRollback|RollbackCleanup)$/,
    'rollback',
  ],
];

/** States whose action name says less than what they are. */
const ACTION_NAMES: Readonly<Record<string, string>> = {
  RequestChairmanApproval: 'approval (task token)',
  ConfirmDatabaseRollback: 'restore? (task token)',
  BakeStep: 'bake (task token)',
  WatchOldSide: 'watch (old side warm)',
  DeploymentSucceeded: 'execution',
  Execution: 'execution',
};

export function phaseOf(state: string): Phase {
  return PHASE_OF_STATE.find(([pattern]) => pattern.test(state))?.[1] ?? 'end';
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object';
const numberOr = (value: unknown): number | null => (typeof value === 'number' ? value : null);

/** What a state's output says it decided, in words. */
function decisionOf(
  state: string,
  output: unknown,
): Pick<TimelineEntry, 'decision' | 'errorRatePercent' | 'p95LatencyMs' | 'dbConnectionsPercent'> {
  const none = { decision: null, errorRatePercent: null, p95LatencyMs: null, dbConnectionsPercent: null };
  if (!isObject(output)) return none;
  if (state === 'EvaluateStep' && isObject(output.canary) && isObject(output.canary.verdict)) {
    const verdict = output.canary.verdict;
    const trigger = typeof verdict.trigger === 'string' ? ` (${verdict.trigger})` : '';
    return {
      decision: `${String(verdict.decision)}${trigger}`,
      errorRatePercent: numberOr(verdict.errorRatePercent),
      p95LatencyMs: numberOr(verdict.p95LatencyMs),
      dbConnectionsPercent: numberOr(verdict.dbConnectionsPercent),
    };
  }
  if (state === 'BeginRollback' && isObject(output.rollback)) {
    const { rollback } = output;
    const type = isObject(rollback.decision) ? String(rollback.decision.type) : 'undecided';
    return { ...none, decision: `rollback: ${String(rollback.trigger)} → ${type}` };
  }
  const smoke =
    state === 'SmokeTestGreen'
      ? output.preTrafficSmoke
      : state === 'SmokeTestProduction'
        ? output.productionSmoke
        : undefined;
  if (isObject(smoke)) {
    const words = smoke.skipped === true ? 'skipped (no test listener)' : smoke.passed === true ? 'passed' : 'FAILED';
    return { ...none, decision: `smoke ${words}` };
  }
  // A coordinator `note` (the restore declined): what it added to the rollback's timeline, not the trigger again.
  const noted =
    isObject(output.rollback) && Array.isArray(output.rollback.timeline) ? output.rollback.timeline.at(-1) : null;
  if (STATES.get(state)?.action === 'note' && isObject(noted)) {
    return { ...none, decision: `${String(noted.action)} ${String(noted.result)}: ${String(noted.detail)}` };
  }
  if (/^Record/.test(state) && isObject(output.trigger) && output.trigger.trigger !== undefined) {
    return { ...none, decision: `trigger ${String(output.trigger.trigger)} in ${String(output.trigger.phase)}` };
  }
  if (/^Record/.test(state) && isObject(output.outcome) && output.outcome.error !== undefined) {
    return { ...none, decision: `stop: ${String(output.outcome.error)}` };
  }
  if (state === 'DryRunRollback' && isObject(output.dryRun)) {
    return { ...none, decision: output.dryRun.ready === true ? 'rollback ready' : 'rollback NOT ready' };
  }
  if (state === 'CheckMonitoring' && isObject(output.monitoring)) {
    return { ...none, decision: `monitoring ${String(output.monitoring.decision)}` };
  }
  return none;
}

export interface TimelineSource {
  /** Simulated time now. */
  readonly now: () => Date;
  readonly startedAt: Date;
  readonly greenWeight: () => number;
}

/** Turns the runner's events into timeline entries: one per state that exited, failed or was caught. */
export function timelineRecorder(source: TimelineSource, onEntry: (entry: TimelineEntry) => void = () => {}) {
  const entries: TimelineEntry[] = [];
  const push = (state: string, outcome: TimelineEntry['outcome'], output: unknown, decision?: string) => {
    const info = STATES.get(state) ?? { type: 'State', agent: 'Step Functions', action: 'state' };
    const now = source.now();
    const decided = decisionOf(state, output);
    const entry: TimelineEntry = {
      at: now.toISOString(),
      seconds: Math.round((now.getTime() - source.startedAt.getTime()) / 1000),
      state,
      phase: phaseOf(state),
      agent: info.agent,
      action: ACTION_NAMES[state] ?? (info.type === 'Task' ? info.action : info.type),
      outcome,
      greenWeight: source.greenWeight(),
      ...decided,
      decision: decision ?? decided.decision,
    };
    entries.push(entry);
    onEntry(entry);
  };
  /** A state that was just caught exits too: one line for it, the catch's. */
  let caughtState: string | undefined;
  /** The error a state failed with, for the catch that follows (the catch event names only its catcher). */
  let lastError: { state: string; error: string } | undefined;
  const onEvent = (event: EventLog) => {
    const record = event as unknown as {
      type: string;
      state?: { name: string; output?: unknown };
      Error?: string;
      catch?: { catcher?: { ErrorEquals?: string[] } };
    };
    const name = record.state?.name;
    if (record.type === 'StateExited' && name !== undefined) {
      const info = STATES.get(name);
      const caught = caughtState === name;
      caughtState = undefined;
      if (caught) return;
      // Choices and Passes are routing: only those that record a decision are shown; the end has its own line.
      if (info?.type === 'Choice' || info?.type === 'Succeed' || info?.type === 'Fail') return;
      if (info?.type === 'Pass' && !/^Record/.test(name)) return;
      push(name, 'ok', record.state?.output);
    } else if (record.type === 'StateFailed' && name !== undefined) {
      lastError = { state: name, error: record.Error ?? 'an error' };
    } else if (record.type === 'StateCaught' && name !== undefined) {
      caughtState = name;
      const caught =
        lastError?.state === name ? lastError.error : (record.catch?.catcher?.ErrorEquals?.join(', ') ?? 'an error');
      // A bake and the watch end by their timeout: that is their time passing, not a failure.
      if (caught === 'States.Timeout' && name === 'BakeStep') push(name, 'ok', undefined, 'bake time passed');
      else if (caught === 'States.Timeout' && name === 'WatchOldSide')
        push(name, 'ok', undefined, 'watch window passed');
      else push(name, 'caught', undefined, `${caught} caught`);
    } else if (record.type === 'ExecutionSucceeded') {
      push('DeploymentSucceeded', 'ok', undefined, 'SUCCEEDED');
    } else if (record.type === 'ExecutionFailed') {
      push('Execution', 'failed', undefined, `FAILED: ${record.Error ?? 'unknown error'}`);
    }
  };
  return { entries, onEvent };
}
