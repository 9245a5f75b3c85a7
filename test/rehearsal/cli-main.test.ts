import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CliDeps, type CliIo, EXIT, type LoadedScenario, main } from '../../rehearsal/cli-main';
import type { RehearsalOptions, RehearsalResult } from '../../rehearsal/rehearse';

/**
 * The CLI's behaviour with its collaborators stood in (cli.test.ts runs the real ones in a child process): here,
 * what `--scenario X --replay Y` rehearses and whether X's expectation judges it.
 */

interface FakeScenario {
  /** The name it was loaded by (checkExpectation gets the scenario without its LoadedScenario part). */
  readonly loadedAs: string;
}

const scratch = mkdtempSync(join(tmpdir(), 'rehearse-cli-main-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const rolledBack: RehearsalResult = {
  status: 'FAILED',
  error: 'DeploymentRolledBack',
  cause: null,
  greenWeights: [10, 0],
  rollback: { type: 'traffic', databaseRestored: null, trigger: 'ERROR_RATE', reactionSeconds: 0 },
  transitions: 40,
  costUsd: 0.001,
  simulatedSeconds: 600,
  report: null,
  reportKeys: [],
  timeline: [],
};

function harness() {
  const out: string[] = [];
  const err: string[] = [];
  const rehearsed: RehearsalOptions[] = [];
  const checked: string[] = [];
  const io: CliIo = { out: (line) => out.push(line), err: (line) => err.push(line), colour: false, cwd: scratch };
  const deps: CliDeps<FakeScenario> = {
    defaultScenario: 'happy-path',
    loadScenario: (name): FakeScenario & LoadedScenario => ({ name, file: `scenarios/${name}.json`, loadedAs: name }),
    describeScenario: (scenario) => `the ${scenario.name} scenario`,
    listScenarios: () => [],
    rehearsalOptionsOf: () => ({
      world: { approval: 'reject', traffic: { requestsPerMinute: 1 }, overrideAtGreenWeight: 50 },
    }),
    checkExpectation: (scenario) => {
      checked.push(scenario.loadedAs);
      return { met: false, mismatches: ['status: expected SUCCEEDED, got FAILED'] };
    },
    isScenarioError: () => false,
    replayOptionsOf: () => ({ traffic: { requestsPerMinute: 6000 } }),
    renderReportChart: () => '<html></html>',
    printableSteps: [],
    runRehearsal: async (options) => {
      rehearsed.push(options);
      return rolledBack;
    },
  };
  return { io, deps, out, err, rehearsed, checked };
}

describe('--scenario X --replay Y', () => {
  it("rehearses X's world with Y's traffic and does not judge it by X's expectation: exit 0", async () => {
    // Prepare
    const { io, deps, out, rehearsed, checked } = harness();

    // Act
    const code = await main(['--scenario', 'manual-override', '--replay', 'incident.json'], io, async () => deps);

    // Assess
    expect(code).toBe(EXIT.asExpected);
    expect(checked).toEqual([]);
    expect(rehearsed[0]?.world).toEqual({
      approval: 'reject',
      overrideAtGreenWeight: 50,
      traffic: { requestsPerMinute: 6000 },
    });
    const printed = out.join('\n');
    expect(printed).toContain('Rehearsal: manual-override-replay-incident');
    expect(printed).toContain(
      "  Expectation     not checked: the traffic came from incident.json, manual-override's expectation is for its own",
    );
  });

  it('--json: the expectation is null and says why', async () => {
    // Prepare
    const { io, deps, out } = harness();

    // Act
    const code = await main(
      ['--scenario', 'manual-override', '--replay', 'incident.json', '--json'],
      io,
      async () => deps,
    );

    // Assess
    expect(code).toBe(EXIT.asExpected);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0] ?? '')).toMatchObject({
      scenario: { name: 'manual-override', replay: 'incident.json' },
      expectation: null,
      expectationNotChecked: "the traffic came from incident.json, manual-override's expectation is for its own",
    });
  });

  it('without --replay: the scenario is judged by its expectation, exit 1 when not met', async () => {
    // Prepare
    const { io, deps, out, checked } = harness();

    // Act
    const code = await main(['--scenario', 'manual-override'], io, async () => deps);

    // Assess
    expect(code).toBe(EXIT.notAsExpected);
    expect(checked).toEqual(['manual-override']);
    expect(out.join('\n')).toContain('  Expectation     NOT met\n    - status: expected SUCCEEDED, got FAILED');
  });
});
