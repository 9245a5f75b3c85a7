import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import type { RehearsalOptions, RehearsalResult } from './rehearse';
import { scenarioSchema } from './scenario-schema';
import type { GreenCrash, TrafficAt, TrafficModel } from './simulated-aws/traffic-model';
import type { CutoverBehaviour } from './simulated-production';
import type { WorldOptions } from './workflow-world';

/**
 * Scenario files: scenarios/<name>.json, each a simulated world (traffic, faults, answers) and the outcome the
 * rehearsal must end in. The CLI and test/rehearsal/scenarios.test.ts run them through runRehearsal.
 */

export { scenarioJsonSchema, scenarioSchema } from './scenario-schema';

export type Scenario = v.InferOutput<typeof scenarioSchema>;
export type LoadedScenario = Scenario & { readonly name: string; readonly file: string };

/** A scenario file that cannot be used: the message names the file, the field and what was expected. */
export class ScenarioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScenarioError';
  }
}

export const DEFAULT_SCENARIO = 'happy-path';

export const SCENARIOS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

const NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function scenarioNames(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort();
}

/** A bare kebab-case name resolves to scenarios/<name>.json; anything else is read as a path. */
export function loadScenario(nameOrPath: string): LoadedScenario {
  const bare = NAME.test(nameOrPath);
  const file = bare ? join(SCENARIOS_DIR, `${nameOrPath}.json`) : resolve(nameOrPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (bare) {
      throw new ScenarioError(`no scenario named ${nameOrPath}; the scenarios are: ${scenarioNames().join(', ')}`);
    }
    throw new ScenarioError(`cannot read scenario file ${file}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ScenarioError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = v.safeParse(scenarioSchema, json);
  if (!parsed.success) {
    throw new ScenarioError(`${file} is not a valid scenario: ${describeScenarioIssues(parsed.issues)}`);
  }
  return { ...parsed.output, name: basename(file, '.json'), file };
}

type Path = readonly PropertyKey[];

type Issue = v.BaseIssue<unknown>;

/** `faults.operations[0].operation`: the field as a scenario's author writes it. */
function fieldOf(path: readonly PropertyKey[]): string {
  const field = path.map((key, at) => (typeof key === 'number' ? `[${key}]` : `${at === 0 ? '' : '.'}${String(key)}`));
  return field.length === 0 ? '(root)' : field.join('');
}

const keysOf = (issue: Issue): PropertyKey[] => (issue.path ?? []).map((item) => item.key as PropertyKey);

const ARTICLE: Readonly<Record<string, string>> = {
  int: 'an integer',
  array: 'an array',
  Array: 'an array',
  object: 'an object',
  Object: 'an object',
};

function kindOf(value: unknown): string {
  const kind = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  return ARTICLE[kind] ?? `a ${kind}`;
}

/** `string`, `array`, `null`: the type of a value as the messages name it. */
function typeName(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

function shown(value: unknown): string {
  if (typeof value === 'object' && value !== null) return kindOf(value);
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

/** What one alternative of a union wanted, from its issue at the union's own value. */
function wanted(issue: Issue): string {
  return ARTICLE[issue.expected ?? ''] ?? (issue.expected?.startsWith('"') ? issue.expected : `a ${issue.expected}`);
}

/** A field's own problem: its type (`expected number, received string`), a key, or the check that failed. */
function problemOf(issue: Issue): string {
  const last = issue.path?.at(-1);
  if (last?.origin === 'key' && issue.expected === 'never') return `Unrecognized key: ${JSON.stringify(last.key)}`;
  // A schema's own wording (a picklist naming what it accepts) is kept; valibot's generic words are rephrased.
  if (issue.kind !== 'schema' || !/^Invalid (type|key): /.test(issue.message)) return issue.message;
  if (last?.type === 'object' && issue.received === 'undefined' && !Object.hasOwn(last.input, String(last.key))) {
    return 'required';
  }
  // `("HELD" | "ESCALATED")`, as valibot joins the options.
  if (issue.type === 'picklist') {
    return `Invalid option: expected one of ${(issue.expected ?? '')
      .replace(/^\((.*)\)$/, '$1')
      .split(' | ')
      .join('|')}`;
  }
  // An array where an object belongs is refused by the shared schemas (validation.ts) in valibot's words.
  const expected = issue.type === 'custom' ? /^Invalid type: Expected (\S+)/.exec(issue.message)?.[1] : issue.expected;
  return `expected ${(expected ?? '').replace(/^Object$/, 'object').replace(/^Array$/, 'array')}, received ${typeName(issue.input)}`;
}

/**
 * One line per problem: the field, then what was expected. A union's problem says its alternatives (or its schema's
 * wording) and what it got, followed by what was wrong inside the alternative the input had the shape of.
 */
function describeIssue(issue: Issue, at: Path): string[] {
  const keys = [...at, ...keysOf(issue)];
  const last = issue.path?.at(-1);
  const path = last?.origin === 'key' && issue.expected === 'never' ? keys.slice(0, -1) : keys;
  if (issue.type !== 'union' || issue.issues === undefined) return [`${fieldOf(path)}: ${problemOf(issue)}`];
  // In the alternatives' order: what one the input's type missed wanted, or the shape of one it got inside.
  const alternatives = new Set(
    issue.issues.map((nested) => {
      const [first] = nested.path ?? [];
      return first === undefined ? wanted(nested) : (ARTICLE[first.type] ?? kindOf(issue.input));
    }),
  );
  const inside = issue.issues
    .filter((nested) => (nested.path ?? []).length > 0)
    .flatMap((nested) => describeIssue(nested, path));
  const custom = !issue.message.startsWith('Invalid type: ');
  const expected = custom ? issue.message : `expected ${[...alternatives].join(', or ')}`;
  const received = inside.length === 0 ? `; received ${shown(issue.input)}` : '';
  return [`${fieldOf(path)}: ${expected}${received}`, ...inside];
}

function describeScenarioIssues(issues: readonly Issue[]): string {
  return issues.flatMap((issue) => describeIssue(issue, [])).join('; ');
}

/** Every scenarios/*.json with its description, sorted by name. */
export function listScenarios(): { name: string; description: string }[] {
  return scenarioNames().map((name) => ({ name, description: loadScenario(name).description }));
}

type Series = NonNullable<NonNullable<NonNullable<Scenario['traffic']>['green']>['p95Ms']>;

/** A declarative series as a function of the minute: atWeight first, then the latest fromMinute reached, else default. */
export function seriesOf(series: Series): (at: TrafficAt) => number {
  if (typeof series === 'number') return () => series;
  const steps = [...(series.fromMinute ?? [])].sort((a, b) => a.minute - b.minute);
  return ({ greenWeight, minute }) => {
    const atWeight = series.atWeight?.[String(greenWeight)];
    if (atWeight !== undefined) return atWeight;
    return steps.findLast((step) => step.minute <= minute)?.value ?? series.default;
  };
}

const maybe = <T, R>(value: T | undefined, map: (value: T) => R): R | undefined =>
  value === undefined ? undefined : map(value);

/** Drops undefined fields, so that the world's defaults apply (exactOptionalPropertyTypes). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;
}

function crashOf(crash: NonNullable<NonNullable<Scenario['traffic']>['green']>['crash']) {
  if (crash === undefined) return undefined;
  const refused = maybe(crash.refusedPercent, seriesOf);
  const timeout = maybe(crash.timeoutPercent, seriesOf);
  const hang = maybe(crash.hangPercent, seriesOf);
  return (at: TrafficAt): GreenCrash | null => {
    const shares = {
      refusedPercent: refused?.(at) ?? 0,
      timeoutPercent: timeout?.(at) ?? 0,
      hangPercent: hang?.(at) ?? 0,
    };
    return Object.values(shares).some((share) => share > 0) ? shares : null;
  };
}

function trafficOf(traffic: Scenario['traffic']): TrafficModel | undefined {
  if (traffic === undefined) return undefined;
  const { green = {}, live = {} } = traffic;
  const late = maybe(green.lateSeconds, seriesOf);
  return defined<TrafficModel>({
    requestsPerMinute: traffic.requestsPerMinute,
    publishDelaySeconds: traffic.publishDelaySeconds,
    loadBalancerBaselineErrorPercent: traffic.loadBalancerBaselineErrorPercent,
    databaseKind: traffic.databaseKind,
    dbConnections: maybe(traffic.dbConnections, seriesOf),
    greenErrorRatePercent: maybe(green.errorRatePercent, seriesOf),
    greenP95Ms: maybe(green.p95Ms, seriesOf),
    greenCrash: crashOf(green.crash),
    greenHealthyHosts: maybe(green.healthyHosts, seriesOf),
    greenNoData: green.noData,
    greenNoDataForMinutes: green.noDataForMinutes,
    lateMinutes: maybe(
      late,
      (of) =>
        ({ greenWeight, minute }) =>
          of({ greenWeight, minute: minute ?? 0 }),
    ),
    liveErrorRatePercent: live.errorRatePercent,
    liveP95Ms: live.p95Ms,
    liveHealthyHosts: maybe(live.healthyHosts, seriesOf),
  });
}

function cutoverOf(scenario: Scenario): CutoverBehaviour | undefined {
  const { faults = {}, alarms = {} } = scenario;
  const cutover = defined<CutoverBehaviour>({
    greenReadyAfterPolls: faults.green?.readyAfterPolls,
    greenNeverHealthy: faults.green?.neverHealthy,
    migrationExitCode: faults.migration?.exitCode,
    migrationRunningPolls: faults.migration?.runningPolls,
    migrationFailsToStart: faults.migration?.failsToStart,
    modifyListener: maybe(faults.modifyListener, defined),
    alarmsEnabled: alarms.enabled,
    restore: maybe(faults.restore, defined),
  });
  return Object.keys(cutover).length === 0 ? undefined : cutover;
}

/** The world a scenario describes, as runRehearsal takes it. */
export function rehearsalOptionsOf(scenario: Scenario): RehearsalOptions {
  const { environment = {}, faults = {}, alarms = {}, approvals = {}, verifier = {}, lock } = scenario;
  const world = defined<WorldOptions>({
    input: scenario.input,
    endpoints: scenario.endpoints,
    traffic: trafficOf(scenario.traffic),
    cutover: cutoverOf(scenario),
    snapshot: maybe(faults.snapshot, defined),
    faults: faults.operations?.map(defined),
    greenWeightSetInWatch: faults.greenWeightSetInWatch,
    settings: maybe(environment.settings, defined),
    bakeSeconds: environment.bakeSeconds,
    inconclusiveAllowance: environment.inconclusiveAllowance,
    metricsMaxWaitSeconds: environment.metricsMaxWaitSeconds,
    autoDatabaseRollback: environment.autoDatabaseRollback,
    testListener: environment.testListener,
    onMissingMonitoring: environment.onMissingMonitoring,
    approval: approvals.start,
    databaseRollbackApproval: approvals.databaseRollback,
    overrideAtGreenWeight: scenario.override?.atGreenWeight,
    alarmDuringApproval: alarms.duringApproval,
    alarmWhileProvisioning: alarms.whileProvisioning,
    alarmInWatch: alarms.inWatch,
    green: verifier.green,
    greenAfterPromotion: verifier.greenAfterPromotion,
    greenStopsAnsweringAtWeight: verifier.greenStopsAnsweringAtWeight,
    greenStopsAnsweringInWatch: verifier.greenStopsAnsweringInWatch,
    dashboardMissing: verifier.dashboardMissing,
    deniedRollbackAction: verifier.deniedRollbackAction,
    lockHeldBy: maybe(lock, ({ heldBy, ...rest }) => defined({ holder: heldBy, ...rest })),
  });
  return { world };
}

const show = (value: unknown) => JSON.stringify(value);

/** Compares a rehearsal with the scenario's expectation; every mismatch in words. */
export function checkExpectation(scenario: Scenario, result: RehearsalResult): { met: boolean; mismatches: string[] } {
  const { expect } = scenario;
  const mismatches: string[] = [];
  if (result.status !== expect.status) mismatches.push(`status: expected ${expect.status}, got ${result.status}`);
  if (result.error !== expect.error)
    mismatches.push(`error: expected ${show(expect.error)}, got ${show(result.error)}`);
  if (expect.rollback === null && result.rollback !== null) {
    mismatches.push(`rollback: expected none, got ${show(result.rollback)}`);
  } else if (expect.rollback !== undefined && expect.rollback !== null) {
    if (result.rollback === null) {
      mismatches.push(`rollback: expected ${show(expect.rollback)}, got none`);
    } else {
      if (expect.rollback.trigger !== undefined && result.rollback.trigger !== expect.rollback.trigger) {
        mismatches.push(`rollback.trigger: expected ${expect.rollback.trigger}, got ${result.rollback.trigger}`);
      }
      if (expect.rollback.type !== undefined && result.rollback.type !== expect.rollback.type) {
        mismatches.push(`rollback.type: expected ${show(expect.rollback.type)}, got ${show(result.rollback.type)}`);
      }
      const { databaseRestored } = expect.rollback;
      if (databaseRestored !== undefined && result.rollback.databaseRestored !== databaseRestored) {
        mismatches.push(
          `rollback.databaseRestored: expected ${show(databaseRestored)}, got ${show(result.rollback.databaseRestored)}`,
        );
      }
    }
  }
  if (expect.greenWeights !== undefined && show(result.greenWeights) !== show(expect.greenWeights)) {
    mismatches.push(`greenWeights: expected ${show(expect.greenWeights)}, got ${show(result.greenWeights)}`);
  }
  return { met: mismatches.length === 0, mismatches };
}
