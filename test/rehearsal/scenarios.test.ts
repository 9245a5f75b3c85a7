import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workflowSettingsSchema } from '../../lambdas/shared/contracts';
import { startLocalDynamo } from '../../rehearsal/dynalite';
import { type RehearsalResult, runRehearsal } from '../../rehearsal/rehearse';
import {
  checkExpectation,
  DEFAULT_SCENARIO,
  listScenarios,
  loadScenario,
  rehearsalOptionsOf,
  type Scenario,
  ScenarioError,
  scenarioJsonSchema,
  seriesOf,
} from '../../rehearsal/scenario';
import { scenarioSettingsSchema } from '../../rehearsal/scenario-schema';
import { createWorld } from '../../rehearsal/workflow-world';

/**
 * Every shipped scenario (scenarios/*.json) rehearsed end to end: the real ASL and agents over the simulated
 * production, each ending as its file expects. Plus the loader's refusals and the JSON Schema kept in step.
 */

const SCHEMA_FILE = new URL('../../docs/scenario.schema.json', import.meta.url);
const SCENARIOS = listScenarios();

function writeScenario(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'scenario-')), 'bad.json');
  writeFileSync(file, content);
  return file;
}

describe('shipped scenarios', () => {
  it('ships at least 30 kebab-case scenarios, the default among them, each with a one-line description', () => {
    // Assess
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(30);
    expect(SCENARIOS.map((scenario) => scenario.name)).toContain(DEFAULT_SCENARIO);
    for (const { name, description } of SCENARIOS) {
      expect(name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(description).not.toMatch(/\n/);
    }
    expect(SCENARIOS.map((scenario) => scenario.name)).toEqual(SCENARIOS.map((scenario) => scenario.name).sort());
  });

  it.each(SCENARIOS.map((scenario) => [scenario.name]))('%s ends as expected', async (name) => {
    // Prepare
    const scenario = loadScenario(name);

    // Act
    const result = await runRehearsal(rehearsalOptionsOf(scenario));

    // Assess
    const check = checkExpectation(scenario, result);
    expect(check.mismatches, `${name}: ${result.error}: ${result.cause}`).toEqual([]);
    expect(check.met).toBe(true);
  });

  it.each(
    SCENARIOS.filter(({ name }) => (loadScenario(name).faults?.operations ?? []).length > 0).map(({ name }) => [name]),
  )('%s: its injected operation faults really fire', async (name) => {
    // Prepare
    const scenario = loadScenario(name);
    const dynamo = await startLocalDynamo();
    try {
      const world = createWorld(dynamo, rehearsalOptionsOf(scenario).world ?? {});

      // Act
      await world.run();

      // Assess
      for (const fault of scenario.faults?.operations ?? []) {
        if (fault.kind === 'staleRead') continue;
        const error =
          fault.kind === 'throttle'
            ? 'ThrottlingException'
            : fault.kind === 'hang'
              ? 'TimeoutError'
              : (fault.error ?? 'ValidationError');
        expect(world.production.calls).toContainEqual(
          expect.stringMatching(new RegExp(`^${fault.operation}( .*)? -> ${error}$`)),
        );
      }
    } finally {
      await dynamo.close();
    }
  });
});

describe('checkExpectation', () => {
  it('names every field that differs', async () => {
    // Prepare
    const scenario: Scenario = {
      ...loadScenario(DEFAULT_SCENARIO),
      expect: {
        status: 'FAILED',
        error: 'DeploymentRolledBack',
        rollback: { trigger: 'ERROR_RATE' },
        greenWeights: [10, 0],
      },
    };
    const result = await runRehearsal(rehearsalOptionsOf(loadScenario(DEFAULT_SCENARIO)));

    // Act
    const check = checkExpectation(scenario, result);

    // Assess
    expect(check.met).toBe(false);
    expect(check.mismatches).toEqual([
      'status: expected FAILED, got SUCCEEDED',
      'error: expected "DeploymentRolledBack", got null',
      'rollback: expected {"trigger":"ERROR_RATE"}, got none',
      'greenWeights: expected [10,0], got [10,50,100,100]',
    ]);
  });
});

/** A rehearsal that ended in a full rollback whose restore was declined: traffic only. */
const declinedRestore: RehearsalResult = {
  status: 'FAILED',
  error: 'DeploymentRolledBack',
  cause: null,
  greenWeights: [10, 50, 0, 0],
  rollback: { type: 'full', databaseRestored: false, trigger: 'ERROR_RATE', reactionSeconds: 0 },
  transitions: 60,
  costUsd: 0.0015,
  simulatedSeconds: 810,
  report: null,
  reportKeys: [],
  timeline: [],
};

describe('checkExpectation of rollback.databaseRestored', () => {
  const expecting = (databaseRestored: boolean | null | undefined): Scenario => ({
    description: 'a full rollback',
    expect: {
      status: 'FAILED',
      error: 'DeploymentRolledBack',
      rollback: { type: 'full', ...(databaseRestored === undefined ? {} : { databaseRestored }) },
    },
  });

  it.each([
    { databaseRestored: true, mismatches: ['rollback.databaseRestored: expected true, got false'] },
    { databaseRestored: null, mismatches: ['rollback.databaseRestored: expected null, got false'] },
    { databaseRestored: false, mismatches: [] },
    { databaseRestored: undefined, mismatches: [] },
  ])('expecting $databaseRestored of a declined restore: $mismatches', ({ databaseRestored, mismatches }) => {
    // Act
    const check = checkExpectation(expecting(databaseRestored), declinedRestore);

    // Assess
    expect(check.mismatches).toEqual(mismatches);
    expect(check.met).toBe(mismatches.length === 0);
  });

  it('is a field of the scenario file, true, false or null', () => {
    // Prepare
    const file = writeScenario(
      JSON.stringify({
        description: 'x',
        expect: { status: 'FAILED', error: null, rollback: { databaseRestored: 'no' } },
      }),
    );

    // Act
    const load = () => loadScenario(file);

    // Assess
    expect(load).toThrow(/expect\.rollback\.databaseRestored: expected boolean, received string/);
  });

  it.each([
    ['database-rollback-declined', false],
    ['database-rollback-confirmed', true],
  ])('%s expects databaseRestored %s', (name, databaseRestored) => {
    // Act
    const { rollback } = loadScenario(name).expect;

    // Assess
    expect(rollback).toMatchObject({ databaseRestored });
  });
});

describe('seriesOf', () => {
  it('takes atWeight first, then the latest fromMinute reached, else the default', () => {
    // Prepare
    const of = seriesOf({
      default: 1,
      atWeight: { '50': 12 },
      fromMinute: [
        { minute: 8, value: 3 },
        { minute: 4, value: 2 },
      ],
    });

    // Act
    const values = [
      of({ greenWeight: 10, minute: 0 }),
      of({ greenWeight: 10, minute: 5 }),
      of({ greenWeight: 10, minute: 9 }),
      of({ greenWeight: 50, minute: 9 }),
    ];

    // Assess
    expect(values).toEqual([1, 2, 3, 12]);
  });
});

describe('loadScenario refusals', () => {
  it('an unknown name: says which names exist', () => {
    // Act
    const load = () => loadScenario('no-such-scenario');

    // Assess
    expect(load).toThrow(ScenarioError);
    expect(load).toThrow(/no scenario named no-such-scenario; the scenarios are: .*happy-path/);
  });

  it('a field of the wrong type: names the field path and what was expected', () => {
    // Prepare
    const file = writeScenario(
      JSON.stringify({
        description: 'bad',
        traffic: { green: { errorRatePercent: { default: 'high' } } },
        expect: { status: 'SUCCEEDED', error: null },
      }),
    );

    // Act
    const load = () => loadScenario(file);

    // Assess
    expect(load).toThrow(ScenarioError);
    expect(load).toThrow(/traffic\.green\.errorRatePercent/);
  });

  it('an array where an object belongs: refused at the field, not read as an empty object', () => {
    // Prepare
    const file = writeScenario(
      JSON.stringify({
        description: 'bad',
        faults: [],
        traffic: { green: { errorRatePercent: { default: 1, atWeight: [] } } },
        expect: { status: 'SUCCEEDED', error: null },
      }),
    );

    // Act
    const load = () => loadScenario(file);

    // Assess
    expect(load).toThrow(ScenarioError);
    expect(load).toThrow(/traffic\.green\.errorRatePercent\.atWeight: expected object, received array/);
    expect(load).toThrow(/faults: expected object, received array/);
  });

  it('an unknown field and a missing expectation: both named', () => {
    // Prepare
    const file = writeScenario(JSON.stringify({ description: 'bad', trafic: {} }));

    // Act
    const load = () => loadScenario(file);

    // Assess
    expect(load).toThrow(/expect: required/);
    expect(load).toThrow(/trafic/);
  });

  it('a file that is not JSON: ScenarioError naming the file', () => {
    // Prepare
    const file = writeScenario('{ "description": ');

    // Act
    const load = () => loadScenario(file);

    // Assess
    expect(load).toThrow(ScenarioError);
    expect(load).toThrow(`${file} is not valid JSON`);
  });
});

/** Paths of the properties and array items in a JSON Schema that carry no description. */
function undocumented(schema: unknown, path = '', option = false): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const node = schema as Record<string, unknown>;
  // The options of a described union need no description of their own.
  const own = path !== '' && !option && typeof node.description !== 'string' ? [path] : [];
  const properties = Object.entries((node.properties as Record<string, unknown> | undefined) ?? {}).flatMap(
    ([key, value]) => undocumented(value, `${path}.${key}`),
  );
  const nested = [
    ...((node.anyOf as unknown[] | undefined) ?? []).flatMap((choice) => undocumented(choice, `${path}|`, true)),
    ...(node.items === undefined ? [] : undocumented(node.items, `${path}[]`)),
  ];
  return [...own, ...properties, ...nested];
}

describe('scenario schema', () => {
  it('documents every field', () => {
    // Act
    const missing = undocumented(scenarioJsonSchema());

    // Assess
    expect(missing).toEqual([]);
  });

  it('offers exactly the workflow settings the intake does not take per execution', () => {
    // Prepare
    const settings = Object.keys(workflowSettingsSchema.entries).filter(
      (key) => key !== 'approvalTimeoutSeconds' && key !== 'bakeSeconds',
    );

    // Act
    const offered = Object.keys(scenarioSettingsSchema.entries);

    // Assess
    expect(offered.sort()).toEqual(settings.sort());
  });
});

describe('docs/scenario.schema.json', () => {
  it('is what the scenario schema generates (UPDATE_SCENARIO_SCHEMA=1 rewrites the file)', () => {
    // Prepare
    const generated = scenarioJsonSchema();
    if (process.env.UPDATE_SCENARIO_SCHEMA === '1')
      writeFileSync(SCHEMA_FILE, `${JSON.stringify(generated, null, 2)}\n`);

    // Act
    const documented: unknown = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));

    // Assess: compared as JSON, so the formatter may lay the file out as it likes
    expect(
      documented,
      'docs/scenario.schema.json is out of date: run UPDATE_SCENARIO_SCHEMA=1 npx vitest run test/rehearsal/scenarios.test.ts',
    ).toEqual(generated);
    expect(generated).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      additionalProperties: false,
    });
  });
});
