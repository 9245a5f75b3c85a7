import { readFileSync, writeFileSync } from 'node:fs';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type IntakeEvent, intake } from '../../lambdas/deployment-intake/intake';
import type { IntakeConfig } from '../../lambdas/shared/config/deployment-intake';
import { DEPLOYMENT_EVENT_SOURCE } from '../../lambdas/shared/deployment-events';
import { deploymentRequestSchema } from '../../lambdas/shared/deployment-request';
import { InvalidInputError } from '../../lambdas/shared/errors';
import {
  RELEASE_CANDIDATE_DETAIL_TYPE,
  RELEASE_CANDIDATE_EVENT_SOURCE,
  type ReleaseCandidateDetail,
  releaseCandidateDetailJsonSchema,
  releaseCandidateDetailSchema,
  releaseSourceProblem,
} from '../../lambdas/shared/release-candidate-event';

/**
 * The `Release Candidate Ready` contract: its detail is the intake's input, the documented example and JSON Schema
 * stay in step with it, and the event as the rule delivers it (the whole envelope) passes the intake unchanged.
 */

const SCHEMA_FILE = new URL('../../docs/release-candidate-event.schema.json', import.meta.url);
const DOCS_FILE = new URL('../../docs/release-candidate-event.md', import.meta.url);

const CONFIG: IntakeConfig = {
  defaultApprovalTimeoutSeconds: 86400,
  defaultBakeSeconds: 300,
  lockTtlSeconds: 867600,
  migrationConfigured: true,
  settings: {
    snapshotPollSeconds: 30,
    snapshotMaxPolls: 240,
    greenPollSeconds: 30,
    greenMaxPolls: 40,
    migrationPollSeconds: 30,
    migrationMaxPolls: 60,
    canarySteps: [10, 50, 100],
    rollbackVerifySeconds: 120,
    databaseRollbackApprovalTimeoutSeconds: 3600,
    restorePollSeconds: 60,
    restoreMaxPolls: 180,
    scaleDownGreenAfterRollback: false,
    blueRetentionSeconds: 3600,
  },
};

/** EventBridge names the executions it starts with a UUID. */
const EXECUTION: IntakeEvent['execution'] = {
  name: '5f0c2b7e-9a41-4d3c-8e6f-1b2a3c4d5e6f',
  id: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew-Deployment:5f0c2b7e-9a41-4d3c-8e6f-1b2a3c4d5e6f',
  startTime: '2026-11-24T10:29:58.123Z',
};

const DETAIL: ReleaseCandidateDetail = {
  release: {
    version: '1.4.0',
    image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@sha256:${'ab'.repeat(32)}`,
    schemaChange: false,
    notes: 'Checkout speed-ups',
  },
  requestedBy: 'ci-pipeline (build 4812)',
  options: { bakeSeconds: 600 },
};

/** The event as the rule's target receives it (no input transformer: the whole event). */
function delivered(detail: unknown) {
  return {
    version: '0',
    id: '7a1e4c9d-2b3f-4e5a-9c8d-0f1e2d3c4b5a',
    'detail-type': RELEASE_CANDIDATE_DETAIL_TYPE,
    source: RELEASE_CANDIDATE_EVENT_SOURCE,
    account: '123456789012',
    time: '2026-11-24T10:29:57Z',
    region: 'eu-west-1',
    resources: [],
    detail,
  };
}

/** The first ```lang block of the docs that follows `after`. */
function docsBlock(lang: string, after: string): string {
  const docs = readFileSync(DOCS_FILE, 'utf8');
  const start = docs.indexOf(after);
  if (start < 0) throw new Error(`docs/release-candidate-event.md has no "${after}"`);
  const block = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(docs.slice(start));
  if (!block?.[1]) throw new Error(`docs/release-candidate-event.md has no ${lang} block after "${after}"`);
  return block[1];
}

describe('Release Candidate Ready: the contract', () => {
  it("is the deployment-crew.release source, distinct from the crew's own events", () => {
    // Assess
    expect(RELEASE_CANDIDATE_EVENT_SOURCE).toBe('deployment-crew.release');
    expect(RELEASE_CANDIDATE_DETAIL_TYPE).toBe('Release Candidate Ready');
    expect(releaseSourceProblem(RELEASE_CANDIDATE_EVENT_SOURCE)).toBeUndefined();
  });

  it.each([
    { source: DEPLOYMENT_EVENT_SOURCE, problem: "the crew's own events" },
    { source: 'aws.ecr', problem: 'reserved for AWS services' },
    { source: 'ship it', problem: 'letters, digits' },
  ])('refuses the source $source ($problem)', ({ source, problem }) => {
    // Act
    const found = releaseSourceProblem(source);

    // Assess
    expect(found).toContain(problem);
  });

  it("validates the detail with the intake's own input schema", () => {
    // Assess: the same schema object, so the two cannot drift apart
    expect(releaseCandidateDetailSchema).toBe(deploymentRequestSchema);
  });
});

describe('Release Candidate Ready: through the intake', () => {
  it('passes the intake unchanged: the release, requester and options of the detail', () => {
    // Prepare
    const event = delivered(DETAIL);

    // Act
    const context = intake({ input: event, execution: EXECUTION }, CONFIG);

    // Assess
    expect(context.release).toEqual(DETAIL.release);
    expect(context.requestedBy).toBe(DETAIL.requestedBy);
    expect(context.settings.bakeSeconds).toBe(600);
    expect(context.deployment.name).toBe(EXECUTION.name);
  });

  it('refuses at the intake, as InvalidInput, a detail without schemaChange', () => {
    // Prepare
    const { schemaChange: _dropped, ...release } = DETAIL.release;

    // Act
    const run = () => intake({ input: delivered({ ...DETAIL, release }), execution: EXECUTION }, CONFIG);

    // Assess
    expect(run).toThrow(InvalidInputError);
    expect(run).toThrow(/release\.schemaChange/);
  });
});

describe('docs/release-candidate-event.md', () => {
  it('documents an example detail the intake accepts, sent with the default source and detail-type', () => {
    // Prepare
    const example: unknown = JSON.parse(docsBlock('json', 'release-candidate.json'));
    const command = docsBlock('bash', 'Sent with the AWS CLI');

    // Act
    const parsed = v.safeParse(releaseCandidateDetailSchema, example);

    // Assess
    expect(parsed.success, parsed.issues?.[0]?.message).toBe(true);
    expect(() => intake({ input: delivered(example), execution: EXECUTION }, CONFIG)).not.toThrow();
    expect(command).toContain('aws events put-events');
    expect(command).toContain(`Source: "${RELEASE_CANDIDATE_EVENT_SOURCE}"`);
    expect(command).toContain(`DetailType: "${RELEASE_CANDIDATE_DETAIL_TYPE}"`);
  });

  it('is what docs/release-candidate-event.schema.json documents (UPDATE_RELEASE_EVENT_SCHEMA=1 rewrites the file)', () => {
    // Prepare
    const generated = releaseCandidateDetailJsonSchema();
    if (process.env.UPDATE_RELEASE_EVENT_SCHEMA === '1')
      writeFileSync(SCHEMA_FILE, `${JSON.stringify(generated, null, 2)}\n`);

    // Act
    const documented: unknown = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));

    // Assess: compared as JSON, so the formatter may lay the file out as it likes
    expect(
      documented,
      'docs/release-candidate-event.schema.json is out of date: run UPDATE_RELEASE_EVENT_SCHEMA=1 npx vitest run test/lambdas/release-candidate-event.test.ts',
    ).toEqual(generated);
    expect(generated).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      additionalProperties: false,
      required: ['release', 'requestedBy'],
    });
  });
});
