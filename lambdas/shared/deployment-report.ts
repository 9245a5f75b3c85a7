import type * as v from 'valibot';
import {
  DEPLOYMENT_REPORT_SCHEMA_VERSION,
  type DeploymentReport,
  type DeploymentReportInput,
  deploymentReportInputSchema,
  deploymentReportSchema,
  type ReportRisk,
  STANDARD_WORKFLOW_USD_PER_1000_TRANSITIONS,
} from './deployment-report-schema';
import { parse } from './validation';

/**
 * The deployment report: `buildDeploymentReport` makes it from the execution's state, `renderMarkdown` writes it for
 * people. Its schema (and the documented JSON Schema, docs/deployment-report.schema.json) is in
 * deployment-report-schema.ts; everything is re-exported here, the one module callers import.
 */

export { renderMarkdown } from './deployment-report-markdown';
export * from './deployment-report-schema';

type ReportInput = v.InferOutput<typeof deploymentReportInputSchema>;
type Verdicts = DeploymentReport['evidence']['verdicts'];

/** to − from in seconds (millisecond precision); null when either is unknown or they are out of order. */
function secondsBetween(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  const start = Date.parse(from);
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end) || end < start) return null;
  return (end - start) / 1000;
}

/** Refuses a report whose outcome its own state contradicts: a report must never claim what did not happen. */
function checkOutcome(input: ReportInput): void {
  const { outcome, error } = input.end;
  const lastVerdict = input.canary?.history.at(-1)?.bakes.at(-1)?.verdict;
  const refuse = (why: string) => {
    throw new Error(`cannot report ${outcome} for ${input.deployment.name}: ${why}`);
  };
  if (outcome === 'PROMOTED') {
    if (input.rollback !== null) refuse('the execution rolled back');
    if (input.sides === null) refuse('no side was resolved');
    if (input.canary?.greenWeight !== 100 || lastVerdict?.decision !== 'promote') {
      refuse(
        `green is at ${input.canary?.greenWeight ?? 0} % and the last verdict is ${lastVerdict?.decision ?? 'none'}`,
      );
    }
  } else if (outcome === 'FAILED') {
    if (input.rollback !== null) refuse('a rollback ran: the outcome is ROLLED_BACK or ROLLBACK_FAILED');
    if (error === null) refuse('a failed deployment needs its error');
  } else if (input.rollback === null) {
    refuse('there is no rollback record');
  }
}

function flattenVerdicts(input: ReportInput): Verdicts {
  return (input.canary?.history ?? []).flatMap((step) =>
    step.bakes.map((bake, index) => ({
      stepIndex: step.stepIndex,
      greenWeight: step.greenWeight,
      bake: index + 1,
      startedAt: bake.startedAt,
      endedAt: bake.endedAt,
      decidedAt: bake.decidedAt ?? null,
      verdict: bake.verdict,
      sample: { ...bake.sample, perMinute: bake.sample.perMinute ?? null },
    })),
  );
}

/** Phases between the execution's recorded milestones: each runs to the next milestone there is (a phase not
 * reached, or not applicable, has none), the last one to the end. */
function phases(input: ReportInput, verdicts: Verdicts): DeploymentReport['metrics']['phases'] {
  const { rollback } = input;
  const firstShift = input.canary?.history[0]?.shiftedAt ?? null;
  const lastBakeEnd = verdicts.at(-1)?.endedAt ?? null;
  const promoted = input.end.outcome === 'PROMOTED' || rollback?.phase === 'POST_PROMOTION';
  const boundaries: [string, string | null][] = [
    ['approval', input.deployment.startedAt],
    ['validation and backup', input.validation?.approval.answeredAt ?? null],
    ['provisioning and migration', input.validation?.generatedAt ?? null],
    ['canary cutover', firstShift],
    ['post-promotion', promoted ? lastBakeEnd : null],
    ['rollback', rollback?.detectedAt ?? null],
  ];
  const known = boundaries.filter((entry): entry is [string, string] => entry[1] !== null);
  return known.map(([phase, startedAt], index) => {
    const endedAt = known[index + 1]?.[1] ?? input.end.at;
    const last = index === known.length - 1;
    return {
      phase: last && input.end.outcome === 'FAILED' ? `${phase} (until the failure)` : phase,
      startedAt,
      endedAt,
      durationSeconds: secondsBetween(startedAt, endedAt),
    };
  });
}

function downtime(input: ReportInput): DeploymentReport['metrics']['downtime'] {
  const parts: DeploymentReport['metrics']['downtime']['parts'] = [];
  const greenDownSince = input.probes?.greenDownSince ?? null;
  if (greenDownSince !== null) {
    const confirmedAt = input.rollback?.weightEffective?.confirmedAt ?? null;
    parts.push({
      cause: 'green stopped answering probes while it carried traffic (its share of requests failed)',
      seconds: secondsBetween(greenDownSince, confirmedAt),
      basis:
        confirmedAt === null
          ? 'first failed probe of the failing run; the listener was not confirmed back on the live side'
          : 'first failed probe of the failing run to the listener confirmed back on the live side',
    });
  }
  const swap = input.rollback?.database?.swap;
  if (swap !== undefined) {
    parts.push({
      cause: 'database endpoint renamed during the restore',
      seconds: swap.endpointDownSeconds ?? null,
      basis: 'from the rename of production away to the restored copy available under its name, as polled',
    });
  }
  const known = parts.map((part) => part.seconds);
  const totalSeconds = known.some((value) => value === null)
    ? null
    : known.reduce<number>((total, value) => total + (value ?? 0), 0);
  return { totalSeconds, parts };
}

function weightEffective(input: ReportInput): DeploymentReport['metrics']['weightEffective'] {
  const shifts = (input.canary?.history ?? []).map((step) => {
    const seconds = secondsBetween(step.shiftedAt, step.confirmedAt);
    return {
      kind: 'shift' as const,
      greenWeight: step.greenWeight,
      requestedAt: step.shiftedAt,
      confirmedAt: step.confirmedAt,
      seconds,
      unknownBecause: seconds === null ? 'the shift or its confirmation time is not a valid, ordered instant' : null,
    };
  });
  const recorded = input.rollback?.weightEffective;
  if (input.rollback === null) return shifts;
  const rollback = {
    kind: 'rollback' as const,
    greenWeight: 0,
    requestedAt: recorded?.triggerAt ?? null,
    confirmedAt: recorded?.confirmedAt ?? null,
    seconds: recorded?.timeUntilWeightEffectiveSeconds ?? null,
    unknownBecause:
      recorded === undefined ? 'the rollback began without its record (begin failed)' : recorded.unknownBecause,
  };
  return [...shifts, rollback];
}

function risks(input: ReportInput, verdicts: Verdicts): ReportRisk[] {
  const found: ReportRisk[] = [];
  const add = (severity: ReportRisk['severity'], kind: ReportRisk['kind'], source: string, text: string) =>
    found.push({ severity, kind, source, text });
  const { outcome } = input.end;
  if (outcome === 'ROLLBACK_FAILED') {
    add(
      'high',
      'open-item',
      'rollback',
      'The rollback failed: the lock is kept ESCALATED and production must be put right by hand (runbook).',
    );
  }
  for (const warning of input.validation?.warnings ?? []) add('medium', 'risk', 'validation', warning);
  if (input.validation?.backup.encrypted === false)
    add('low', 'risk', 'backup', `Snapshot ${input.validation.backup.identifier} is not encrypted.`);
  if (input.release.schemaChange && outcome === 'PROMOTED') {
    add(
      'medium',
      'risk',
      'migration',
      'The release changed the schema: a traffic rollback would run the previous release on the migrated schema unless the migration is backward-compatible (expand/contract).',
    );
  }
  const traffickedBack = input.rollback?.decision?.type === 'traffic' || input.rollback?.decision?.type === 'full';
  if (input.release.schemaChange && traffickedBack && input.rollback && databaseRestored(input.rollback) !== true) {
    add(
      'high',
      'open-item',
      'migration',
      'Traffic was rolled back but the migration stays applied: the previous release runs on the new schema.',
    );
  }
  for (const followUp of input.rollback?.database?.followUps ?? [])
    add('high', 'open-item', 'database restore', followUp);
  for (const entry of input.rollback?.timeline ?? []) {
    if (entry.result === 'failed')
      add('high', 'risk', 'rollback', `${entry.action} failed at ${entry.at}: ${entry.detail}`);
  }
  const inconclusive = verdicts.filter((row) => row.verdict.inconclusive).length;
  if (inconclusive > 0)
    add('low', 'risk', 'canary', `${inconclusive} bake(s) had no conclusive data and were re-baked.`);
  for (const [name, report] of Object.entries(input.smoke)) {
    for (const step of report?.passed === false ? report.steps.filter((s) => !s.passed) : []) {
      add(
        'high',
        'risk',
        `smoke (${name})`,
        `${step.flow} ${step.method} ${step.path} (${step.name}): ${step.failures.join('; ')}`,
      );
    }
  }
  const probes = input.probes;
  if (probes !== null && probes.greenDownSince === null && probes.failedRounds > 0) {
    add(
      'low',
      'risk',
      'probes',
      `${probes.failedRounds} of ${probes.rounds} probe rounds failed without green being declared down.`,
    );
  }
  if (probes !== null && probes.publishFailures > 0) {
    add(
      'medium',
      'risk',
      'probes',
      `${probes.publishFailures} of ${probes.rounds} probe rounds could not be published to CloudWatch: the dashboard and the probe alarms lack them (see the verifier's logs).`,
    );
  }
  for (const check of input.monitoring?.checks.filter((c) => !c.ok) ?? []) {
    add('medium', 'risk', 'monitoring', `${check.kind} ${check.name}: ${check.evidence}`);
  }
  for (const check of input.rollbackDryRun?.checks.filter((c) => !c.ok) ?? []) {
    add('high', 'risk', 'rollback dry-run', `${check.name}: ${check.evidence}`);
  }
  if (outcome === 'PROMOTED') {
    if (input.smoke.production === null)
      add('high', 'open-item', 'smoke', 'The smoke suite did not run against production.');
    if (input.rollbackDryRun === null)
      add('high', 'open-item', 'rollback dry-run', 'Rollback readiness was not verified.');
    if (input.monitoring === null) add('medium', 'open-item', 'monitoring', 'Monitoring was not verified.');
  }
  const rollbackFigure = input.rollback?.weightEffective;
  if (input.rollback !== null && (rollbackFigure?.timeUntilWeightEffectiveSeconds ?? null) === null) {
    add(
      'low',
      'risk',
      'rollback',
      `Time until the rollback's weight was effective is unknown: ${rollbackFigure?.unknownBecause ?? 'not recorded'}.`,
    );
  }
  return found;
}

function outcomeSummary(input: ReportInput): string {
  const { version } = input.release;
  const { rollback } = input;
  switch (input.end.outcome) {
    case 'PROMOTED':
      return `Release ${version} promoted: ${input.sides?.green.serviceName} carries 100 % since ${input.canary?.history.at(-1)?.confirmedAt}.`;
    case 'ROLLED_BACK':
      return `Release ${version} rolled back (${rollback?.trigger}, ${rollback?.decision?.type ?? 'traffic'} rollback, during ${rollback?.phase}): ${rollback?.reason}`;
    case 'ROLLBACK_FAILED':
      return `Release ${version}: the rollback (${rollback?.trigger}) failed; the lock is kept ESCALATED and the runbook applies.`;
    case 'FAILED':
      return `Release ${version} not deployed, no traffic moved: ${input.end.error?.name}: ${input.end.error?.message}`;
  }
}

function handoff(input: ReportInput, found: readonly ReportRisk[]): DeploymentReport['handoff'] {
  const { outcome } = input.end;
  const high = found.filter((risk) => risk.severity === 'high').length;
  const ready = outcome === 'PROMOTED' && high === 0;
  const { sides } = input;
  const notes: string[] = [];
  let serving: DeploymentReport['handoff']['serving'] = null;
  let standby: DeploymentReport['handoff']['standby'] = null;
  if (outcome === 'PROMOTED' && sides !== null) {
    serving = {
      side: sides.green,
      release: input.release.version,
      taskDefinitionArn: input.green?.taskDefinitionArn ?? null,
    };
    if (input.standbyRetiredAt === null) {
      standby = { side: sides.live, warmUntil: input.standbyWarmUntil };
      notes.push(
        `Fast rollback: ${sides.live.serviceName} stays warm at 0 %${input.standbyWarmUntil ? ` until ${input.standbyWarmUntil}` : ''}; an alarm in that window rolls traffic back at once.`,
      );
    } else {
      notes.push(
        `${sides.live.serviceName} was scaled down at ${input.standbyRetiredAt}, after the post-promotion watch: a rollback now means deploying the previous release again.`,
      );
    }
  } else if (outcome === 'ROLLED_BACK' && sides !== null) {
    serving = { side: sides.live, release: `the release before ${input.release.version}`, taskDefinitionArn: null };
    if (input.greenScaledDownAt === null) standby = { side: sides.green, warmUntil: null };
    else notes.push(`${sides.green.serviceName} was scaled down at ${input.greenScaledDownAt}, after the rollback.`);
    notes.push(`Fix the cause before redeploying: ${input.rollback?.reason}`);
  } else if (outcome === 'FAILED' && sides !== null) {
    serving = { side: sides.live, release: `the release before ${input.release.version}`, taskDefinitionArn: null };
  }
  if (outcome === 'ROLLBACK_FAILED')
    notes.push('Do not start another deployment until production is sound and the ESCALATED lock is cleared.');
  const why = ready
    ? `Promoted, with no high-severity risk; ${found.length} item(s) below for the record.`
    : outcome === 'PROMOTED'
      ? `Promoted, but ${high} high-severity item(s) must be resolved first.`
      : `Not promoted (${outcome}).`;
  return { nextStage: input.nextStage, ready, why, serving, standby, notes };
}

/**
 * The alarm that triggered the rollback. The rollback record keeps its name only in the coordinator's `trigger` line
 * (`<TRIGGER> (<alarm>) by <requester>: <reason>`, the parenthesis only when an alarm's request started it).
 */
function triggeringAlarm(rollback: NonNullable<ReportInput['rollback']>): string | null {
  const line = rollback.timeline.find((entry) => entry.action === 'trigger')?.detail ?? '';
  const opening = `${rollback.trigger} (`;
  const end = line.indexOf(') by ', opening.length);
  return line.startsWith(opening) && end > opening.length ? line.slice(opening.length, end) : null;
}

/** Whether the decision's database part was done; null when it had none. */
function databaseRestored(rollback: NonNullable<ReportInput['rollback']>): boolean | null {
  if (rollback.decision === null || rollback.decision.database === 'none') return null;
  return rollback.database?.status === 'AVAILABLE';
}

/**
 * Pure: the report of one execution from its state. Throws when the state contradicts the outcome it is asked to
 * report (a promotion without a promoting verdict, a rollback without its record).
 */
export function buildDeploymentReport(raw: DeploymentReportInput, now: Date = new Date()): DeploymentReport {
  const input = parse(deploymentReportInputSchema, raw);
  checkOutcome(input);
  const verdicts = flattenVerdicts(input);
  const found = risks(input, verdicts);
  const { rollback, stateTransitions } = input;
  return parse(deploymentReportSchema, {
    schemaVersion: DEPLOYMENT_REPORT_SCHEMA_VERSION,
    deployment: input.deployment,
    generatedAt: now.toISOString(),
    outcome: {
      status: input.end.outcome,
      summary: outcomeSummary(input),
      release: input.release,
      requestedBy: input.requestedBy,
      approvedBy: input.validation?.approval.approver ?? null,
      startedAt: input.deployment.startedAt,
      finishedAt: input.end.at,
      durationSeconds: secondsBetween(input.deployment.startedAt, input.end.at),
      rollback:
        rollback === null
          ? null
          : {
              trigger: rollback.trigger,
              phase: rollback.phase,
              type: rollback.decision?.type ?? null,
              databaseRestored: databaseRestored(rollback),
              alarmName: triggeringAlarm(rollback),
              reason: rollback.reason,
            },
      error: input.end.error,
    },
    productionUrl: input.productionUrl,
    dashboards: input.dashboards,
    metrics: {
      phases: phases(input, verdicts),
      downtime: downtime(input),
      requestsServedByGreen: {
        requests: verdicts.reduce((total, row) => total + row.sample.requests, 0),
        bakes: verdicts.length,
        basis: "RequestCount of green's target group over the bake windows (minutes outside a bake are not counted)",
      },
      weightEffective: weightEffective(input),
      stepFunctions: {
        stateTransitions,
        usdPer1000Transitions: STANDARD_WORKFLOW_USD_PER_1000_TRANSITIONS,
        // Whole micro-dollars: the price is 25 µ$ per transition, so this is exact.
        costUsd:
          stateTransitions === null
            ? null
            : (stateTransitions * STANDARD_WORKFLOW_USD_PER_1000_TRANSITIONS * 1000) / 1e6,
      },
    },
    evidence: {
      validation: input.validation,
      backup: input.validation?.backup ?? null,
      green: input.green,
      migration: input.migration,
      verdicts,
      thresholds: input.thresholds,
      smoke: input.smoke,
      probes: input.probes,
      monitoring: input.monitoring,
      rollbackDryRun: input.rollbackDryRun,
      rollbackTimeline: rollback?.timeline ?? [],
    },
    risks: found,
    handoff: handoff(input, found),
  });
}
