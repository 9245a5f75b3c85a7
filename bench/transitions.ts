import { type RehearsalResult, runRehearsal } from '../rehearsal/rehearse';
import { loadScenario, rehearsalOptionsOf } from '../rehearsal/scenario';
import type { FigureOutcome } from './figures';

/**
 * Figure 4: the state transitions a rehearsal's execution used (states entered and retries, what Step Functions
 * Standard bills) and their cost, for the happy path and for the rollback at 50 %.
 */

const HAPPY = 'happy-path';
const ROLLBACK = 'error-rate-breach-at-50';
const HAPPY_GOAL = 80;

async function rehearse(name: string): Promise<RehearsalResult> {
  return runRehearsal(rehearsalOptionsOf(loadScenario(name)));
}

/** The states entered most often: where the transitions go. */
function heaviestStates(result: RehearsalResult, count = 6): string {
  const entered = new Map<string, number>();
  for (const entry of result.timeline) entered.set(entry.state, (entered.get(entry.state) ?? 0) + 1);
  return [...entered.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([state, times]) => `${state} ×${times}`)
    .join(', ');
}

const usd = (value: number) => `$${value.toFixed(4)}`;

export async function measureTransitions(): Promise<FigureOutcome> {
  const happy = await rehearse(HAPPY);
  const rollback = await rehearse(ROLLBACK);
  const steps = happy.greenWeights.filter((weight, index) => weight > (happy.greenWeights[index - 1] ?? 0)).length;
  return {
    figures: [
      {
        id: 4,
        value: `happy path ${happy.transitions} transitions (${usd(happy.costUsd)}), rollback at 50 % ${rollback.transitions} (${usd(rollback.costUsd)})`,
        met: happy.status === 'SUCCEEDED' ? happy.transitions <= HAPPY_GOAL : false,
        details: [
          `Rehearsals \`${HAPPY}\` (${happy.status}, ${steps} canary steps: ${happy.greenWeights.join(' → ')}) and`,
          `\`${ROLLBACK}\` (${rollback.status}${rollback.error === null ? '' : `, ${rollback.error}`}); transitions are`,
          'states entered plus retries, priced at the Standard workflow rate.',
          '',
          `- happy path, states entered most: ${heaviestStates(happy)}`,
          `- rollback at 50 %, states entered most: ${heaviestStates(rollback)}`,
        ],
      },
    ],
    results: {
      transitions: { happy: happy.transitions, rollback: rollback.transitions },
      costUsd: { happy: happy.costUsd, rollback: rollback.costUsd },
    },
  };
}
