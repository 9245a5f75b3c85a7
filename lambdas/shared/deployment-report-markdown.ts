import { REPORT_CHART_FILE } from './deployment-report-chart';
import type { DeploymentReport } from './deployment-report-schema';
import type { SmokeReport } from './smoke-suite';

/** The report for people: one heading per part, tables for the verdicts and the other lists. Pure. */

type Cell = string | number | boolean | null | undefined;

/** A table cell: pipes escaped, line breaks flattened, unknown values as an em dash. */
function cell(value: Cell): string {
  if (value === null || value === undefined || value === '') return '—';
  return String(value).replaceAll('\\', '\\\\').replaceAll('|', '\\|').replace(/\r?\n/g, ' ');
}

function table(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  if (rows.length === 0) return '_None._';
  return [
    `| ${headers.join(' | ')} |`,
    `| ${headers.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ].join('\n');
}

const seconds = (value: number | null): string => (value === null ? 'unknown' : `${value} s`);
const percent = (value: number | null): string | null => (value === null ? null : `${Number(value.toFixed(3))} %`);

function smokeSection(title: string, report: SmokeReport | null): string {
  if (report === null) return `### Smoke tests: ${title}\n\nNot run.`;
  return [
    `### Smoke tests: ${title}`,
    `Target ${report.target}, started ${report.startedAt}: **${report.passed ? 'passed' : 'FAILED'}**.`,
    table(
      ['step', 'flow', 'request', 'status', 'latency (ms)', 'result', 'failures'],
      report.steps.map((step) => [
        step.name,
        step.flow,
        `${step.method} ${step.path}`,
        step.status,
        Math.round(step.latencyMs),
        step.passed ? 'passed' : 'FAILED',
        step.failures.join('; '),
      ]),
    ),
  ].join('\n\n');
}

function evidence(report: DeploymentReport): string[] {
  const { validation, backup, verdicts, probes, rollbackDryRun, rollbackTimeline } = report.evidence;
  const parts = ['## 5. Evidence', '### Validation'];
  parts.push(
    validation === null
      ? 'No validation report (the execution stopped before it).'
      : `Generated ${validation.generatedAt}, approved by ${validation.approval.approver.identity} at ${validation.approval.answeredAt}.\n\n${table(
          ['check', 'kind', 'critical', 'status', 'HTTP', 'latency (ms)', 'attempts', 'error'],
          validation.dependencyMatrix.entries.map((entry) => [
            entry.name,
            entry.kind,
            entry.critical,
            entry.status,
            entry.httpStatus,
            Math.round(entry.latencyMs),
            entry.attempts,
            entry.error,
          ]),
        )}`,
  );
  parts.push('### Backup');
  parts.push(
    backup === null
      ? 'No verified backup.'
      : table(
          ['snapshot', 'kind', 'source', 'engine', 'created', 'verified', 'encrypted'],
          [
            [
              backup.identifier,
              backup.kind,
              backup.sourceIdentifier,
              `${backup.engine} ${backup.engineVersion}`,
              backup.createdAt,
              backup.verifiedAt,
              backup.encrypted ? `yes (${backup.kmsKeyId ?? 'default key'})` : 'no',
            ],
          ],
        ),
  );
  const { thresholds } = report.evidence;
  parts.push('### Thresholds');
  parts.push(
    thresholds === null
      ? 'Not recorded in this report.'
      : `As configured for the stack: roll back above ${thresholds.errorRatePercent} % error rate or ${thresholds.p95LatencyMs} ms p95; promote below ${thresholds.promoteErrorRatePercent} %; DB connections above ${thresholds.dbConnectionsPercent} % of the maximum roll back.`,
  );
  parts.push('### Canary verdicts');
  parts.push(
    table(
      [
        'step',
        'green %',
        'bake',
        'window',
        'decided',
        'decision',
        'trigger',
        'error rate',
        'p95 (ms)',
        'DB conn.',
        'requests',
        'errors',
        'min healthy',
        'reasons',
      ],
      verdicts.map((row) => [
        row.stepIndex + 1,
        row.greenWeight,
        row.bake,
        `${row.startedAt} – ${row.endedAt}`,
        row.decidedAt,
        row.verdict.decision,
        row.verdict.trigger,
        percent(row.verdict.errorRatePercent),
        row.verdict.p95LatencyMs,
        percent(row.verdict.dbConnectionsPercent),
        row.sample.requests,
        row.sample.errors,
        row.sample.healthyHostsMin,
        row.verdict.reasons.join('; '),
      ]),
    ),
  );
  parts.push(smokeSection('pre-traffic (green only)', report.evidence.smoke.preTraffic));
  parts.push(smokeSection('production', report.evidence.smoke.production));
  parts.push('### Probes');
  parts.push(
    probes === null
      ? 'No probe ran.'
      : `${probes.runs} run(s), ${probes.rounds} round(s), ${probes.failedRounds} failed; ${
          probes.greenDownSince === null ? 'green never declared down' : `**green down since ${probes.greenDownSince}**`
        }.${probes.failures.length > 0 ? `\n\n${probes.failures.map((failure) => `- ${failure}`).join('\n')}` : ''}`,
  );
  parts.push('### Rollback dry-run');
  parts.push(
    rollbackDryRun === null
      ? 'Not run.'
      : `Checked ${rollbackDryRun.checkedAt}: **${rollbackDryRun.ready ? 'ready' : 'NOT ready'}**, estimated rollback ${seconds(
          rollbackDryRun.estimatedRollbackSeconds,
        )}.\n\n${table(
          ['check', 'result', 'evidence'],
          rollbackDryRun.checks.map((check) => [check.name, check.ok ? 'passed' : 'FAILED', check.evidence]),
        )}`,
  );
  if (rollbackTimeline.length > 0) {
    parts.push('### Rollback timeline');
    parts.push(
      table(
        ['at', 'action', 'result', 'detail'],
        rollbackTimeline.map((entry) => [entry.at, entry.action, entry.result, entry.detail]),
      ),
    );
  }
  return parts;
}

export function renderMarkdown(report: DeploymentReport): string {
  const { outcome, metrics, handoff } = report;
  const { downtime, stepFunctions } = metrics;
  const parts = [
    `# Deployment report: ${report.deployment.name}`,
    `Release ${outcome.release.version} (\`${outcome.release.image}\`), generated ${report.generatedAt}.`,
    // The report store writes the chart beside this file.
    `Timeline chart (green's weight, error rate and p95 over time, with the verdicts and the rollback): [${REPORT_CHART_FILE}](${REPORT_CHART_FILE}).`,
    '## 1. Outcome',
    `**${outcome.status}**: ${outcome.summary}`,
    table(
      ['', 'value'],
      [
        ['requested by', outcome.requestedBy],
        ['approved by', outcome.approvedBy?.identity],
        ['started', outcome.startedAt],
        ['finished', outcome.finishedAt],
        ['duration', seconds(outcome.durationSeconds)],
        [
          'rollback',
          outcome.rollback &&
            `${outcome.rollback.trigger}${outcome.rollback.alarmName === null ? '' : ` (alarm ${outcome.rollback.alarmName})`} during ${outcome.rollback.phase} (${outcome.rollback.type ?? 'type not decided'}): ${outcome.rollback.reason}`,
        ],
        ['error', outcome.error && `${outcome.error.name}: ${outcome.error.message}`],
        ['execution', report.deployment.executionArn],
      ],
    ),
    '## 2. Production URL',
    report.productionUrl,
    '## 3. Dashboards',
    report.dashboards.length === 0
      ? '_None._'
      : report.dashboards.map((board) => `- [${board.name}](${board.url})`).join('\n'),
    '## 4. Metrics',
    '### Duration per phase',
    table(
      ['phase', 'started', 'ended', 'duration'],
      metrics.phases.map((phase) => [phase.phase, phase.startedAt, phase.endedAt, seconds(phase.durationSeconds)]),
    ),
    '### Downtime',
    downtime.parts.length === 0
      ? 'None recorded: no probe run declared green down, and no database swap.'
      : `${seconds(downtime.totalSeconds)} in all.\n\n${table(
          ['cause', 'duration', 'basis'],
          downtime.parts.map((part) => [part.cause, seconds(part.seconds), part.basis]),
        )}`,
    '### Requests served by green',
    `${metrics.requestsServedByGreen.requests} over ${metrics.requestsServedByGreen.bakes} bake(s): ${metrics.requestsServedByGreen.basis}.`,
    '### Time until weight effective',
    table(
      ['change', 'green %', 'requested', 'confirmed', 'time', 'why unknown'],
      metrics.weightEffective.map((row) => [
        row.kind,
        row.greenWeight,
        row.requestedAt,
        row.confirmedAt,
        seconds(row.seconds),
        row.unknownBecause,
      ]),
    ),
    '### Step Functions',
    stepFunctions.stateTransitions === null
      ? 'State transitions not counted.'
      : `${stepFunctions.stateTransitions} state transitions, USD ${stepFunctions.costUsd} at USD ${stepFunctions.usdPer1000Transitions} per 1,000 (Standard workflow).`,
    ...evidence(report),
    '## 6. Risks and open items',
    table(
      ['severity', 'kind', 'source', 'item'],
      report.risks.map((risk) => [risk.severity, risk.kind, risk.source, risk.text]),
    ),
    '## 7. Handoff',
    `Next stage: **${handoff.nextStage}**, ${handoff.ready ? '**ready**' : '**not ready**'}. ${handoff.why}`,
    table(
      ['', 'value'],
      [
        ['serving (100 %)', handoff.serving && `${handoff.serving.side.serviceName}: ${handoff.serving.release}`],
        ['task definition', handoff.serving?.taskDefinitionArn],
        [
          'standby (0 %)',
          handoff.standby &&
            `${handoff.standby.side.serviceName}${handoff.standby.warmUntil ? `, warm until ${handoff.standby.warmUntil}` : ''}`,
        ],
      ],
    ),
    handoff.notes.map((note) => `- ${note}`).join('\n'),
  ];
  return `${parts.filter((part) => part !== '').join('\n\n')}\n`;
}
