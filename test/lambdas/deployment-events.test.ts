import { readFileSync, writeFileSync } from 'node:fs';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';

import {
  DEPLOYMENT_EVENT_TYPES,
  type DeploymentEventDetail,
  deploymentEventDetailSchemas,
  deploymentEventEntry,
} from '../../lambdas/shared/deployment-events';
import {
  ALL_DETAIL_TYPES,
  deploymentEventsJsonSchema,
  outcomeEventDetailSchemas,
} from '../../lambdas/shared/deployment-events-schema';

const SCHEMA_FILE = new URL('../../docs/deployment-events.schema.json', import.meta.url);
const DOCS_FILE = new URL('../../docs/deployment-events.md', import.meta.url);
const ASL_FILE = new URL('../../statemachine/deployment-crew.asl.json', import.meta.url);

const STARTED: DeploymentEventDetail<'Rollback Started'> = {
  deployment: 'release-1-4-0-7f3a',
  at: '2026-11-24T10:38:01.250Z',
  schemaVersion: 1,
  trigger: 'ALARM',
  phase: 'CUTOVER',
  reason: 'alarm shop-green-5xx entered ALARM',
  type: 'traffic',
  detectedAt: '2026-11-24T10:38:00.000Z',
};

interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: { Entries?: { Source?: string; DetailType?: string; Detail?: Record<string, unknown> }[] };
}

/** Every events:putEvents entry the state machine sends itself. */
function aslEventEntries() {
  const definition = JSON.parse(readFileSync(ASL_FILE, 'utf8')) as { States: Record<string, AslState> };
  return Object.entries(definition.States)
    .filter(([, state]) => state.Type === 'Task' && state.Resource === 'arn:aws:states:::events:putEvents')
    .flatMap(([name, state]) => (state.Parameters?.Entries ?? []).map((entry) => ({ name, ...entry })));
}

describe('deployment events', () => {
  it("lists the agents' seven detail-types and, with the state machine's, nine in all", () => {
    // Act
    const agents = [...DEPLOYMENT_EVENT_TYPES];
    const all = [...ALL_DETAIL_TYPES];

    // Assess
    expect(agents).toEqual([
      'Deployment Phase Changed',
      'Traffic Shifted',
      'Rollback Started',
      'Rollback Traffic Restored',
      'Rollback Database Restored',
      'Rollback Failed',
      'Rollback Finished',
    ]);
    expect(all).toEqual([...agents, 'Deployment Failed', 'Deployment Rolled Back']);
  });

  it("builds a PutEvents entry on the bus, source deployment-crew, time the detail's at", () => {
    // Act
    const entry = deploymentEventEntry('shop-deployments', 'Rollback Started', STARTED);

    // Assess
    expect(entry).toEqual({
      EventBusName: 'shop-deployments',
      Source: 'deployment-crew',
      DetailType: 'Rollback Started',
      Detail: JSON.stringify(STARTED),
      Time: new Date('2026-11-24T10:38:01.250Z'),
    });
  });

  it.each([
    ['a missing schemaVersion', { ...STARTED, schemaVersion: undefined }],
    ['another schemaVersion', { ...STARTED, schemaVersion: 2 }],
    ['an at that is not ISO 8601', { ...STARTED, at: '24/11/2026 10:38' }],
    ['an empty deployment', { ...STARTED, deployment: '' }],
    ['an unknown trigger', { ...STARTED, trigger: 'COSMIC_RAY' }],
    ['an unknown rollback type', { ...STARTED, type: 'partial' }],
    ['an extra field', { ...STARTED, extra: true }],
  ])('refuses a detail with %s', (_case, detail) => {
    // Act
    const build = () =>
      deploymentEventEntry('default', 'Rollback Started', detail as DeploymentEventDetail<'Rollback Started'>);

    // Assess
    expect(build).toThrow(v.ValiError);
  });

  it('refuses a phase outside the documented ones, and a green weight outside 0-100', () => {
    // Prepare
    const stamp = { deployment: 'd', at: '2026-11-24T10:00:00.000Z', schemaVersion: 1 };

    // Act
    const phase = v.safeParse(deploymentEventDetailSchemas['Deployment Phase Changed'], {
      ...stamp,
      phase: 'VALIDATION',
      previousPhase: null,
    });
    const weight = v.safeParse(deploymentEventDetailSchemas['Traffic Shifted'], {
      ...stamp,
      fromGreenWeight: 50,
      toGreenWeight: 101,
      liveTargetGroupArn: 'arn:live',
      greenTargetGroupArn: 'arn:green',
      confirmedAt: '2026-11-24T10:00:00.000Z',
      secondsUntilEffective: null,
    });

    // Assess
    expect(phase.success).toBe(false);
    expect(weight.success).toBe(false);
  });

  it("documents exactly the fields the state machine's own events carry", () => {
    // Act
    const entries = aslEventEntries();

    // Assess: Detail keys as the ASL writes them (`key.$` is a path for `key`)
    expect(entries.map((entry) => entry.DetailType).sort()).toEqual(Object.keys(outcomeEventDetailSchemas).sort());
    for (const entry of entries) {
      const schema = outcomeEventDetailSchemas[entry.DetailType as keyof typeof outcomeEventDetailSchemas];
      const keys = Object.keys(entry.Detail ?? {}).map((key) => key.replace(/\.\$$/, ''));
      expect(entry.Source, entry.name).toBe('deployment-crew');
      expect(keys.sort(), entry.name).toEqual(Object.keys(schema.entries).sort());
    }
  });

  it('keeps the fields both Rollback Failed events share with the same values', () => {
    // Prepare
    const agent = deploymentEventDetailSchemas['Rollback Failed'].entries;
    const stateMachine = outcomeEventDetailSchemas['Rollback Failed'].entries;

    // Act
    const shared = Object.keys(agent).filter((key) => key in stateMachine);

    // Assess
    expect(shared.sort()).toEqual(['code', 'deployment', 'error', 'executionArn']);
    expect(agent.code.literal).toBe(stateMachine.code.literal);
    expect(agent.error.literal).toBe(stateMachine.error.literal);
  });

  it('describes every detail-type in docs/deployment-events.md', () => {
    // Prepare
    const docs = readFileSync(DOCS_FILE, 'utf8');

    // Act
    const missing = ALL_DETAIL_TYPES.filter((type) => !docs.includes(`\`${type}\``));

    // Assess
    expect(missing).toEqual([]);
  });

  it('is what docs/deployment-events.schema.json documents (UPDATE_EVENTS_SCHEMA=1 rewrites the file)', () => {
    // Prepare
    const generated = deploymentEventsJsonSchema();
    if (process.env.UPDATE_EVENTS_SCHEMA === '1') writeFileSync(SCHEMA_FILE, `${JSON.stringify(generated, null, 2)}\n`);

    // Act
    const documented: unknown = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));

    // Assess: compared as JSON, so the formatter may lay the file out as it likes
    expect(
      documented,
      'docs/deployment-events.schema.json is out of date: run UPDATE_EVENTS_SCHEMA=1 npx vitest run test/lambdas/deployment-events.test.ts',
    ).toEqual(generated);
  });

  it('gives every detail-type one branch of the schema, Rollback Failed both details', () => {
    // Act
    const schema = deploymentEventsJsonSchema() as {
      oneOf: { properties: { 'detail-type': { const: string }; detail: unknown } }[];
    };
    const branches = Object.fromEntries(
      schema.oneOf.map((branch) => [branch.properties['detail-type'].const, branch.properties.detail]),
    );

    // Assess
    expect(Object.keys(branches).sort()).toEqual([...ALL_DETAIL_TYPES].sort());
    expect(branches['Rollback Failed']).toEqual({
      anyOf: [{ $ref: '#/$defs/RollbackFailedDetail' }, { $ref: '#/$defs/RollbackFailedOutcomeDetail' }],
    });
    expect(branches['Traffic Shifted']).toEqual({ $ref: '#/$defs/TrafficShiftedDetail' });
  });
});
