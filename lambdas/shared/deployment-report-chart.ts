import {
  type MinutePoint,
  type ReportChartOptions,
  reportChartData,
  type VerdictPoint,
} from './deployment-report-chart-data';
import type { DeploymentReport } from './deployment-report-schema';

/**
 * The deployment's timeline chart (numbers from deployment-report-chart-data.ts): `renderReportChart` makes it one
 * self-contained HTML page (inline SVG, no script, nothing fetched). Pure.
 */

export * from './deployment-report-chart-data';

/** The chart's file name beside the JSON and Markdown reports (the Markdown links it by this relative name). */
export const REPORT_CHART_FILE = 'report.html';

/** Text for HTML and SVG: every character that could open markup or end an attribute is escaped. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const WIDTH = 1120;
const LEFT = 72;
const RIGHT = 24;
const PANEL = 170;
const GAP = 34;
const ROW = 16;
const CHAR = 6.6;
const round = (value: number) => Number(value.toFixed(1));
const num = (value: number) => String(Number(value.toFixed(3)));

/** The smallest 1, 2, 2.5 or 5 × 10^k at or above the value. */
function niceCeil(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return (([1, 2, 2.5, 5, 10].find((step) => step * power >= value) ?? 10) as number) * power;
}

function offset(seconds: number): string {
  if (Math.abs(seconds) < 60) return `${num(seconds)} s`;
  return `${num(seconds / 60)} min`;
}

function tickStep(axisSeconds: number): number {
  return [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400].find((s) => axisSeconds / s <= 10) ?? 28800;
}

interface Panel {
  readonly top: number;
  readonly name: string;
  readonly unit: string;
  readonly max: number;
  readonly y: (value: number) => number;
}

function panel(top: number, name: string, unit: string, max: number): Panel {
  return { top, name, unit, max, y: (value) => round(top + PANEL - (Math.min(value, max) / max) * PANEL) };
}

function frame(p: Panel, x: (s: number) => number, axisSeconds: number): string[] {
  const right = x(axisSeconds);
  const out = [`<rect x="${LEFT}" y="${p.top}" width="${round(right - LEFT)}" height="${PANEL}" class="frame"/>`];
  for (let i = 0; i <= 4; i += 1) {
    const value = (p.max * i) / 4;
    const y = p.y(value);
    out.push(`<line x1="${LEFT}" x2="${round(right)}" y1="${y}" y2="${y}" class="grid"/>`);
    out.push(`<text x="${LEFT - 6}" y="${y + 4}" class="tick" text-anchor="end">${num(value)}</text>`);
  }
  out.push(
    `<text x="16" y="${p.top + PANEL / 2}" class="axis" transform="rotate(-90 16 ${p.top + PANEL / 2})" text-anchor="middle">${escapeHtml(`${p.name} (${p.unit})`)}</text>`,
  );
  return out;
}

function threshold(p: Panel, x: (s: number) => number, axisSeconds: number, value: number, text: string): string[] {
  const y = p.y(value);
  return [
    `<line x1="${LEFT}" x2="${round(x(axisSeconds))}" y1="${y}" y2="${y}" class="threshold"/>`,
    `<text x="${round(x(axisSeconds)) - 4}" y="${y - 4}" class="threshold-label" text-anchor="end">${escapeHtml(text)}</text>`,
  ];
}

/** A point's value beside it: above, or below when the point is at the panel's top. */
function valueLabel(p: Panel, cx: number, cy: number, text: string): string {
  return `<text x="${cx + 7}" y="${cy - p.top < 16 ? cy + 15 : cy - 6}" class="value">${escapeHtml(text)}</text>`;
}

/** Green's minutes as a line, broken where a minute has no data and between bakes; a small dot per known minute. */
function minuteSeries(p: Panel, x: (s: number) => number, series: string, points: readonly MinutePoint[]): string[] {
  const out: string[] = [];
  let run: MinutePoint[] = [];
  const flush = () => {
    if (run.length > 1) {
      const path = run.map((point) => `${round(x(point.seconds))},${p.y(point.value ?? 0)}`).join(' ');
      out.push(`<polyline points="${path}" class="series"/>`);
    }
    run = [];
  };
  points.forEach((point, index) => {
    const previous = points[index - 1];
    const otherBake =
      previous !== undefined && (previous.stepIndex !== point.stepIndex || previous.bake !== point.bake);
    if (point.value === null || otherBake) flush();
    if (point.value === null) return;
    run.push(point);
    const data = `data-series="${series}" data-seconds="${num(point.seconds)}" data-value="${num(point.value)}"`;
    out.push(`<circle class="point" ${data} cx="${round(x(point.seconds))}" cy="${p.y(point.value)}" r="2.5"/>`);
  });
  flush();
  return out;
}

/** Each verdict's number over its bake, as a diamond at the time it was decided, labelled; "no data" when none. */
function verdictPoints(
  p: Panel,
  x: (s: number) => number,
  series: string,
  verdicts: readonly VerdictPoint[],
  value: (verdict: VerdictPoint) => number | null,
): string[] {
  return verdicts.flatMap((verdict) => {
    const cx = round(x(verdict.seconds));
    const known = value(verdict);
    const data = `class="point verdict" data-series="${series}" data-seconds="${num(verdict.seconds)}" data-value="${known === null ? 'null' : num(known)}"`;
    if (known === null) {
      const y = p.top + PANEL - 5;
      return [
        `<rect ${data} x="${cx - 4}" y="${y - 4}" width="8" height="8"/>`,
        `<text x="${cx + 7}" y="${y - 2}" class="value">no data</text>`,
      ];
    }
    const cy = p.y(known);
    return [
      `<path ${data} d="M ${cx} ${cy - 6} l 6 6 l -6 6 l -6 -6 z"/>`,
      valueLabel(p, cx, cy, `${verdict.decision}: ${num(known)} ${p.unit}`),
    ];
  });
}

export function renderReportChart(report: DeploymentReport, options: ReportChartOptions = {}): string {
  const data = reportChartData(report, options);
  const { axisSeconds, thresholds } = data;
  const x = (seconds: number) => LEFT + (seconds / axisSeconds) * (WIDTH - LEFT - RIGHT);

  // Marks at the same second share one line; their labels go on rows above the panels without overlapping.
  const groups: { seconds: number; labels: string[]; number: number }[] = [];
  for (const mark of data.marks) {
    const last = groups.at(-1);
    if (last !== undefined && last.seconds === mark.seconds) last.labels.push(mark.label);
    else groups.push({ seconds: mark.seconds, labels: [mark.label], number: groups.length + 1 });
  }
  const bands: [number, number][][] = [];
  const placed = groups.map((group) => {
    const text = `[${group.number}] ${group.labels.join(' · ')}`;
    const mark = x(group.seconds);
    const width = text.length * CHAR;
    // A label that would run off the right edge ends at its line instead of starting there.
    const anchorEnd = mark + width > WIDTH - 4;
    const span: [number, number] = anchorEnd ? [mark - width - 8, mark] : [mark, mark + width + 8];
    let row = bands.findIndex((taken) => taken.every(([from, to]) => span[1] < from || span[0] > to));
    if (row === -1) row = bands.push([]) - 1;
    bands[row]?.push(span);
    return { ...group, text, row, anchorEnd };
  });
  const bandTop = 8;
  const top = bandTop + Math.max(1, bands.length) * ROW + 8;
  const highest = (threshold: number, points: readonly { value: number | null }[], verdicts: (number | null)[]) =>
    niceCeil(Math.max(threshold, ...points.map((p) => p.value ?? 0), ...verdicts.map((v) => v ?? 0)) * 1.15);
  const errorMax = highest(
    thresholds.errorRatePercent,
    data.errorRate,
    data.verdicts.map((v) => v.errorRatePercent),
  );
  const p95Max = highest(
    thresholds.p95LatencyMs,
    data.p95,
    data.verdicts.map((v) => v.p95LatencyMs),
  );
  const panels = [
    panel(top, "green's weight", '%', 100),
    panel(top + PANEL + GAP, "green's error rate", '%', errorMax),
    panel(top + 2 * (PANEL + GAP), "green's p95 latency", 'ms', p95Max),
  ] as const;
  const [weightPanel, errorPanel, p95Panel] = panels;
  const bottom = p95Panel.top + PANEL;
  const height = bottom + 46;
  const svg: string[] = panels.flatMap((p) => frame(p, x, axisSeconds));

  const step = tickStep(axisSeconds);
  for (let s = 0; s <= axisSeconds; s += step) {
    svg.push(`<line x1="${round(x(s))}" x2="${round(x(s))}" y1="${bottom}" y2="${bottom + 5}" class="grid"/>`);
    svg.push(`<text x="${round(x(s))}" y="${bottom + 18}" class="tick" text-anchor="middle">${offset(s)}</text>`);
  }
  svg.push(
    `<text x="${LEFT}" y="${bottom + 38}" class="axis">${escapeHtml(`time since the deployment started (${data.startedAt})`)}</text>`,
  );

  const lines: [Panel, number, string][] = [
    [errorPanel, thresholds.errorRatePercent, `rollback above ${thresholds.errorRatePercent} %`],
    [errorPanel, thresholds.promoteErrorRatePercent, `promote only below ${thresholds.promoteErrorRatePercent} %`],
    [p95Panel, thresholds.p95LatencyMs, `rollback above ${thresholds.p95LatencyMs} ms`],
  ];
  for (const [p, value, text] of lines) svg.push(...threshold(p, x, axisSeconds, value, text));
  // An alarm can fire between verdicts: its panel shows where, at the threshold it crossed (no verdict number).
  const trigger = data.marks.find((mark) => mark.kind === 'trigger');
  const cause = report.outcome.rollback?.trigger;
  const crossed = cause === 'ERROR_RATE' ? errorPanel : cause === 'LATENCY' ? p95Panel : undefined;
  const crossedValue = cause === 'LATENCY' ? thresholds.p95LatencyMs : thresholds.errorRatePercent;
  if (trigger !== undefined && crossed !== undefined) {
    const tx = round(x(trigger.seconds));
    const ty = crossed.y(crossedValue);
    svg.push(
      `<path d="M ${tx} ${ty - 7} l -6 10 h 12 z" class="trigger"/>`,
      `<text x="${tx - 8}" y="${ty - 10}" class="value" text-anchor="end">${escapeHtml(trigger.label)}</text>`,
    );
  }

  // Green's weight as steps: it holds each value until the next confirmed change.
  const wy = weightPanel.y;
  const end = data.finalGreenWeight === null ? '' : ` H ${round(x(axisSeconds))}`;
  const steps = data.weight.map(
    (p, i) => `${i === 0 ? 'M' : 'H'} ${round(x(p.seconds))} ${i === 0 ? wy(p.greenWeight) : `V ${wy(p.greenWeight)}`}`,
  );
  svg.push(`<path d="${steps.join(' ')}${end}" class="series"/>`);
  for (const p of data.weight) {
    const cx = round(x(p.seconds));
    svg.push(
      `<circle class="point" data-series="weight" data-seconds="${num(p.seconds)}" data-value="${p.greenWeight}" cx="${cx}" cy="${wy(p.greenWeight)}" r="4"/>`,
      valueLabel(weightPanel, cx, wy(p.greenWeight), `${p.greenWeight} %`),
    );
  }
  if (data.finalGreenWeight === null) {
    svg.push(
      `<text x="${round(x(axisSeconds)) - 4}" y="${weightPanel.top + 14}" class="value" text-anchor="end">weight after the trigger not confirmed</text>`,
    );
  }
  svg.push(...minuteSeries(errorPanel, x, 'error-rate', data.errorRate));
  svg.push(...minuteSeries(p95Panel, x, 'p95', data.p95));
  svg.push(...verdictPoints(errorPanel, x, 'verdict-error-rate', data.verdicts, (v) => v.errorRatePercent));
  svg.push(...verdictPoints(p95Panel, x, 'verdict-p95', data.verdicts, (v) => v.p95LatencyMs));

  for (const group of placed) {
    const mx = round(x(group.seconds));
    const labelY = bandTop + group.row * ROW + 12;
    svg.push(
      `<line x1="${mx}" x2="${mx}" y1="${labelY + 3}" y2="${bottom}" class="mark" data-mark="${group.number}"/>`,
      `<text x="${group.anchorEnd ? mx - 2 : mx + 2}" y="${labelY}" class="mark-label"${group.anchorEnd ? ' text-anchor="end"' : ''}>${escapeHtml(group.text)}</text>`,
    );
  }

  const rows = data.marks.map((mark) => {
    const number = groups.findIndex((group) => group.seconds === mark.seconds) + 1;
    return `<tr><td>[${number}]</td><td>${offset(mark.seconds)}</td><td>${escapeHtml(mark.at)}</td><td>${escapeHtml(mark.label)}</td><td>${escapeHtml(mark.detail)}</td></tr>`;
  });
  const finalWeight = data.finalGreenWeight === null ? 'not confirmed' : `${data.finalGreenWeight} %`;
  const summary = `${report.deployment.name} · production ${report.productionUrl} · green's final weight ${finalWeight}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(data.title)}</title>`,
    '<style>body{font-family:sans-serif;margin:16px;color:#111}h1{font-size:20px;margin:0 0 4px}p{margin:2px 0 8px;font-size:13px}',
    'svg text{font-family:sans-serif;font-size:11px;fill:#111}.axis{font-size:12px}.frame{fill:none;stroke:#444}.grid{stroke:#ddd}',
    '.series{fill:none;stroke:#1f4e9c;stroke-width:2}circle.point{fill:#1f4e9c}path.verdict{fill:#e8a317;stroke:#111}rect.verdict{fill:#fff;stroke:#111}',
    '.threshold{stroke:#b00020;stroke-dasharray:6 4}.threshold-label{fill:#b00020;font-style:italic}',
    '.mark{stroke:#555;stroke-dasharray:2 3}.mark-label{font-weight:bold}.trigger{fill:#b00020}',
    'table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}</style>',
    '</head><body>',
    `<h1>${escapeHtml(data.title)}</h1>`,
    `<p>${escapeHtml(report.outcome.summary)}</p>`,
    `<p>${escapeHtml(summary)}</p>`,
    `<svg role="img" aria-label="${escapeHtml(`${data.title}: weight, error rate and p95 over time`)}" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}">`,
    ...svg,
    '</svg>',
    `<p>Thresholds: ${escapeHtml(thresholds.source)}. Error rate and p95: green's value in each minute of a judged bake, at the minute's start; diamonds: each verdict's number over its bake, at the time it was decided.</p>`,
    ...data.notes.map((note) => `<p>Note: ${escapeHtml(note)}</p>`),
    '<table><tr><th>mark</th><th>time</th><th>at</th><th>event</th><th>detail</th></tr>',
    ...rows,
    '</table></body></html>',
    '',
  ].join('\n');
}
