import type { DeploymentReport } from '../lambdas/shared/deployment-report';
import { DEFAULT_PROBE_FAILURE_RULE } from '../lambdas/shared/probe-timing';
import { type RehearsalResult, runRehearsal } from '../rehearsal/rehearse';
import { loadScenario, rehearsalOptionsOf } from '../rehearsal/scenario';
import { alarmDefinitions } from '../rehearsal/simulated-aws/alarms';
import { SIM_ALARMS } from '../rehearsal/simulated-aws/constants';
import { DEFAULT_PUBLISH_DELAY_SECONDS, MINUTE_MS } from '../rehearsal/simulated-aws/traffic-model';
import type { Figure, FigureOutcome } from './figures';

/**
 * Figures 2 and 3, in simulated time: a rehearsal each, read from the deployment report's "time until weight
 * effective" rows (every shift and the rollback, from the request or the trigger to the listener re-read). AWS calls
 * are instant in simulated time, so what the figures show beyond the alarm's window, the metrics' delay and the
 * probes' rounds is the pipeline's own waiting.
 */

const BREACH_SCENARIO = 'error-rate-breach-at-50';
const BREACH_WEIGHT = 50;
const CRASH_SCENARIO = 'probe-failure-mid-bake';
const CRASH_WEIGHT = 10;

type WeightRow = DeploymentReport['metrics']['weightEffective'][number];

function rowsOf(result: RehearsalResult, scenario: string): readonly WeightRow[] {
  if (result.report === null) throw new Error(`${scenario} wrote no report (${result.status}, ${result.error})`);
  return result.report.metrics.weightEffective;
}

function instant(value: string | null | undefined, what: string): number {
  const at = Date.parse(value ?? '');
  if (!Number.isFinite(at)) throw new Error(`${what} is not recorded (${JSON.stringify(value ?? null)})`);
  return at;
}

const clockOf = (ms: number) => new Date(ms).toISOString().slice(11, 19);

async function breachFigure(): Promise<{ figure: Figure; seconds: number }> {
  const scenario = loadScenario(BREACH_SCENARIO);
  const result = await runRehearsal(rehearsalOptionsOf(scenario));
  if (result.rollback?.trigger !== 'ERROR_RATE') {
    throw new Error(`${BREACH_SCENARIO} did not roll back on ERROR_RATE: ${JSON.stringify(result.rollback)}`);
  }
  const rows = rowsOf(result, BREACH_SCENARIO);
  const shift = rows.find((row) => row.kind === 'shift' && row.greenWeight === BREACH_WEIGHT);
  const rollback = rows.find((row) => row.kind === 'rollback');
  // The scenario's error rate is tied to the weight: the breach starts when 50 % is on green.
  const breachAt = instant(shift?.confirmedAt, `the ${BREACH_WEIGHT} % shift's confirmation`);
  const alarmAt = instant(rollback?.requestedAt, "the alarm's state change");
  const backAt = instant(rollback?.confirmedAt, "the rollback's confirmation");
  const alarm = alarmDefinitions('instance').find((definition) => definition.name === SIM_ALARMS.greenErrorRate);
  if (alarm === undefined) throw new Error(`no alarm ${SIM_ALARMS.greenErrorRate} in the simulation`);
  const windowSeconds = alarm.evaluationPeriods * 60;
  const delaySeconds = scenario.traffic?.publishDelaySeconds ?? DEFAULT_PUBLISH_DELAY_SECONDS;
  const detectionSeconds = (backAt - breachAt) / 1000;
  const added = detectionSeconds - windowSeconds - delaySeconds;
  const intoMinute = (breachAt % MINUTE_MS) / 1000;
  const figure: Figure = {
    id: 2,
    value: `${detectionSeconds} s from the breach to traffic back, beside a ${windowSeconds} s window + ${delaySeconds} s delay: ${added} s added`,
    met: added < 1,
    details: [
      `Scenario \`${BREACH_SCENARIO}\` (green's error rate 12 % from the ${BREACH_WEIGHT} % step), simulated time:`,
      '',
      `- breach starts (50 % confirmed on green): ${clockOf(breachAt)}`,
      `- ${alarm.name} enters ALARM: ${clockOf(alarmAt)} (${(alarmAt - breachAt) / 1000} s after)`,
      `- listener confirmed back at 100 % live: ${clockOf(backAt)} (${(backAt - alarmAt) / 1000} s after the alarm)`,
      `- alarm window ${alarm.evaluationPeriods} × 60 s, metrics published ${delaySeconds} s after their minute ends`,
      `- added beyond window + delay: ${added} s${
        added < 0
          ? ` (negative: the breach starts ${intoMinute} s into a minute, and that partial minute already breaches` +
            ' the alarm, so the window began before the breach)'
          : ''
      }`,
      '- the AWS calls are instant in simulated time: figure 1 measures them.',
    ],
  };
  return { figure, seconds: added };
}

async function crashFigure(): Promise<{ figure: Figure; seconds: number }> {
  const scenario = loadScenario(CRASH_SCENARIO);
  const result = await runRehearsal(
    rehearsalOptionsOf({ ...scenario, verifier: { ...scenario.verifier, greenStopsAnsweringAtWeight: CRASH_WEIGHT } }),
  );
  if (result.rollback?.trigger !== 'GREEN_PROBE_FAILED') {
    throw new Error(`green stopping at ${CRASH_WEIGHT} % did not roll back on GREEN_PROBE_FAILED`);
  }
  const rollback = rowsOf(result, CRASH_SCENARIO).find((row) => row.kind === 'rollback');
  const firstFailedAt = instant(rollback?.requestedAt, 'the first failed probe');
  const backAt = instant(rollback?.confirmedAt, "the rollback's confirmation");
  const seconds = (backAt - firstFailedAt) / 1000;
  const figure: Figure = {
    id: 3,
    value: `${seconds} s from the first failed probe to traffic back`,
    met: seconds < 15,
    details: [
      `Scenario \`${CRASH_SCENARIO}\` with green stopping as the ${CRASH_WEIGHT} % bake starts, simulated time:`,
      '',
      `- first failed probe ${clockOf(firstFailedAt)}, listener confirmed back at 100 % live ${clockOf(backAt)}`,
      `- green weights ${result.greenWeights.join(' → ')}; the prober takes green off after ${DEFAULT_PROBE_FAILURE_RULE.failures}` +
        ' consecutive failed rounds, so the figure is the probe interval × (failures − 1) plus the pipeline',
    ],
  };
  return { figure, seconds };
}

export async function measureDetection(): Promise<FigureOutcome> {
  const breach = await breachFigure();
  const crash = await crashFigure();
  return {
    figures: [breach.figure, crash.figure],
    results: { addedDetectionSeconds: breach.seconds, crashDetectionSeconds: crash.seconds },
  };
}
