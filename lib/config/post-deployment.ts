import type { Duration } from 'aws-cdk-lib';
import * as v from 'valibot';
import type { OnMissingMonitoring } from '../../lambdas/shared/config/post-deployment-verifier';
import {
  DEFAULT_PROBE_FAILURE_RULE,
  type ProbeFailureRule,
  probeTimingProblem,
} from '../../lambdas/shared/probe-timing';
import { type SmokeStepInput, type SmokeSuite, smokeSuiteSchema } from '../../lambdas/shared/smoke-suite';
import { describeIssues } from '../../lambdas/shared/validation';
import { MIN_LOGS_WINDOW_MINUTES } from '../../lambdas/shared/verification';
import type { PostDeploymentSettings, ProbeSettings, VerifierVpcPlacement } from '../deployment-crew-props';

/**
 * The PostDeploymentVerifier runs the suite's steps one after the other within its 900 s: every step's latency
 * ceiling added up may take this much, the rest is for the secrets, the monitoring check and the dry run.
 */
export const SMOKE_SUITE_BUDGET_SECONDS = 780;
/** Bounds of `postDeployment.probes`: a round a second at most (the metric's resolution), up to 10 failures. */
export const PROBE_BOUNDS = { minIntervalMs: 1_000, minFailures: 1, maxFailures: 10 } as const;
export const DEFAULT_PROBE_INTERVAL_MS = 5_000;

/** A secret's complete ARN, with the six characters Secrets Manager appends (a policy on a partial ARN never matches). */
const FULL_SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/** The prober's timing, checked against the failure rule's detection goal. */
export interface ResolvedProbes {
  readonly intervalMs: number;
  readonly rule: ProbeFailureRule;
}

/** `postDeployment` with its defaults applied and the suite parsed. */
export interface ResolvedPostDeployment {
  readonly suite: SmokeSuite;
  /** The suite as written in the props, checked: what the function's environment carries (defaults cost bytes). */
  readonly suiteInput: readonly SmokeStepInput[];
  readonly productionUrl: string;
  readonly testListenerUrl: string | null;
  readonly greenHeaders: Readonly<Record<string, string>>;
  readonly logGroupNames: readonly string[];
  readonly logsRecentWithinMinutes: number;
  readonly onMissingMonitoring: OnMissingMonitoring;
  readonly minHealthyTargets: number;
  readonly expectedDesiredCount: number;
  /** Every secret the suite's headers name, once: the verifier may read exactly these. */
  readonly secretArns: readonly string[];
  /** The customer-managed keys of those secrets: the verifier may decrypt with them through Secrets Manager. */
  readonly secretsKmsKeyArns: readonly string[];
  /** The suite's steps' latency ceilings added up: the longest a run can take. */
  readonly suiteWorstCaseSeconds: number;
  readonly probes: ResolvedProbes;
  /** Null: the verifier runs outside any VPC. */
  readonly vpc: VerifierVpcPlacement | null;
}

/** Checks `postDeployment` at synth: the suite against smokeSuiteSchema, the URLs, secret ARNs and bounds. */
export function resolvePostDeployment(settings: PostDeploymentSettings): ResolvedPostDeployment {
  const parsed = v.safeParse(smokeSuiteSchema, settings.smokeSuite);
  if (!parsed.success) throw new Error(`postDeployment.smokeSuite: ${describeIssues(parsed.issues)}`);
  const suite = parsed.output;
  checkHttpUrl('postDeployment.productionUrl', settings.productionUrl);
  if (settings.testListenerUrl !== undefined) checkHttpUrl('postDeployment.testListenerUrl', settings.testListenerUrl);
  const secretArns = [
    ...new Set(suite.flatMap((step) => Object.values(step.secretHeaders).map((secret) => secret.secretArn))),
  ];
  for (const arn of secretArns) {
    if (!FULL_SECRET_ARN.test(arn)) {
      throw new Error(
        `postDeployment.smokeSuite: ${arn} is not a complete Secrets Manager secret ARN ` +
          '(arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 characters>); the verifier is allowed ' +
          'exactly the ARNs named, and a partial ARN matches no secret',
      );
    }
  }
  const suiteWorstCaseSeconds = suite.reduce((sum, step) => sum + step.maxLatencyMs, 0) / 1000;
  if (suiteWorstCaseSeconds > SMOKE_SUITE_BUDGET_SECONDS) {
    throw new Error(
      `postDeployment.smokeSuite: the steps' maxLatencyMs add up to ${suiteWorstCaseSeconds} s; keep them under ` +
        `${SMOKE_SUITE_BUDGET_SECONDS} s (one function run, 900 s, runs the whole suite)`,
    );
  }
  const probes = resolveProbes(suite, settings.probes);
  const logsRecentWithinMinutes = (settings.logsRecentWithin?.toSeconds() ?? MIN_LOGS_WINDOW_MINUTES * 60) / 60;
  if (!Number.isInteger(logsRecentWithinMinutes) || logsRecentWithinMinutes < MIN_LOGS_WINDOW_MINUTES) {
    throw new Error(
      `postDeployment.logsRecentWithin: whole minutes, at least ${MIN_LOGS_WINDOW_MINUTES} (CloudWatch Logs updates a ` +
        "stream's last event time late)",
    );
  }
  const minHealthyTargets = settings.minHealthyTargets ?? 1;
  const expectedDesiredCount = settings.expectedDesiredCount ?? 1;
  for (const [prop, value] of [
    ['minHealthyTargets', minHealthyTargets],
    ['expectedDesiredCount', expectedDesiredCount],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`postDeployment.${prop}: a whole number, 1 or more`);
  }
  const secretsKmsKeyArns = [...new Set(settings.secretsKmsKeyArns ?? [])];
  const notKeys = secretsKmsKeyArns.filter(
    (arn) => !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(arn),
  );
  if (notKeys.length > 0) {
    throw new Error(
      `postDeployment.secretsKmsKeyArns: not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>) in [${notKeys}]`,
    );
  }
  const logGroupNames = [...(settings.logGroupNames ?? [])];
  if (logGroupNames.some((name) => !/^[A-Za-z0-9_\-/.#]{1,512}$/.test(name))) {
    throw new Error(`postDeployment.logGroupNames: not a log group name in [${logGroupNames}]`);
  }
  return {
    suite,
    suiteInput: structuredClone([...settings.smokeSuite]),
    productionUrl: settings.productionUrl,
    testListenerUrl: settings.testListenerUrl ?? null,
    greenHeaders: { ...settings.greenHeaders },
    logGroupNames,
    logsRecentWithinMinutes,
    onMissingMonitoring: settings.onMissingMonitoring ?? 'fail',
    minHealthyTargets,
    expectedDesiredCount,
    secretArns,
    secretsKmsKeyArns,
    suiteWorstCaseSeconds,
    probes,
    vpc: settings.vpc ?? null,
  };
}

/** The probe steps exist, the timing is in bounds, and a hanging green is still judged down within the goal. */
function resolveProbes(suite: SmokeSuite, settings: ProbeSettings | undefined): ResolvedProbes {
  const probeSteps = suite.filter((step) => step.probe);
  if (probeSteps.length === 0) {
    throw new Error(
      'postDeployment.smokeSuite: mark at least one step probe: true (cheap, read-only steps: the prober sends them ' +
        'to green during every bake and the post-promotion watch)',
    );
  }
  const intervalMs = wholeMilliseconds(settings?.interval) ?? DEFAULT_PROBE_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < PROBE_BOUNDS.minIntervalMs) {
    throw new Error(`postDeployment.probes.interval: whole milliseconds, at least ${PROBE_BOUNDS.minIntervalMs} ms`);
  }
  const failures = settings?.failuresToRollback ?? DEFAULT_PROBE_FAILURE_RULE.failures;
  if (!Number.isInteger(failures) || failures < PROBE_BOUNDS.minFailures || failures > PROBE_BOUNDS.maxFailures) {
    throw new Error(
      `postDeployment.probes.failuresToRollback: a whole number from ${PROBE_BOUNDS.minFailures} to ` +
        `${PROBE_BOUNDS.maxFailures}, got ${failures}`,
    );
  }
  const withinMs = wholeMilliseconds(settings?.detectWithin) ?? DEFAULT_PROBE_FAILURE_RULE.withinMs;
  if (!Number.isInteger(withinMs) || withinMs <= 0) {
    throw new Error('postDeployment.probes.detectWithin: whole milliseconds, more than 0');
  }
  const rule: ProbeFailureRule = { failures, withinMs };
  const slowest = Math.max(...probeSteps.map((step) => step.maxLatencyMs));
  const problem = probeTimingProblem(intervalMs, slowest, rule);
  if (problem !== undefined) throw new Error(`postDeployment.probes: ${problem}`);
  return { intervalMs, rule };
}

/** A Duration in milliseconds, fractions kept so that the caller names the prop (Duration's own error would not). */
function wholeMilliseconds(duration: Duration | undefined): number | undefined {
  return duration?.toMilliseconds({ integral: false });
}

function checkHttpUrl(prop: string, url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${prop}: ${url} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error(`${prop}: ${url} is not http(s)`);
}
