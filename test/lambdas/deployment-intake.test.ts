import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { type IntakeEvent, intake } from '../../lambdas/deployment-intake/intake';
import { type IntakeConfig, intakeConfigSchema } from '../../lambdas/shared/config/deployment-intake';
import { workflowSettingsSchema } from '../../lambdas/shared/contracts';
import { InvalidInputError } from '../../lambdas/shared/errors';

/** 2026-11-24T10:30:00Z is 1795516200 s; the 750 ms must be dropped, not rounded up. */
const NOW = new Date('2026-11-24T10:30:00.750Z');

/** The settings every execution of the sample stack gets, whatever its options. */
const STACK_SETTINGS: IntakeConfig['settings'] = {
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
};

const CONFIG: IntakeConfig = {
  defaultApprovalTimeoutSeconds: 86400,
  defaultBakeSeconds: 300,
  lockTtlSeconds: 867600,
  migrationConfigured: true,
  settings: STACK_SETTINGS,
};

const EXECUTION: IntakeEvent['execution'] = {
  name: 'release-1-4-0',
  id: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:release-1-4-0',
  startTime: '2026-11-24T10:29:58.123Z',
};

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4.0';

/** A fresh, valid execution input as the console or the CLI sends it; tests change one field each. */
function validRequest(): {
  release: Record<string, unknown>;
  requestedBy: unknown;
  options?: Record<string, unknown>;
  [key: string]: unknown;
} {
  return {
    release: { version: '1.4.0', image: IMAGE, schemaChange: false, notes: 'Checkout redesign' },
    requestedBy: 'ci-pipeline',
  };
}

function run(input: unknown, config: IntakeConfig = CONFIG) {
  return intake({ input, execution: EXECUTION }, config, NOW);
}

/** Runs the intake on an input that must be refused and returns the error it threw. */
function invalidInputError(input: unknown): Error {
  try {
    run(input);
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`intake threw a non-Error: ${String(error)}`);
  }
  throw new Error('intake accepted an input that should have been refused');
}

describe('valid input', () => {
  it('returns the deployment context: identity from the execution, settings from the stack, the lock expiry', () => {
    // Prepare
    const input = validRequest();

    // Act
    const context = run(input);

    // Assess
    expect(context).toEqual({
      deployment: {
        name: 'release-1-4-0',
        executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:release-1-4-0',
        startedAt: '2026-11-24T10:29:58.123Z',
      },
      release: { version: '1.4.0', image: IMAGE, schemaChange: false, notes: 'Checkout redesign' },
      requestedBy: 'ci-pipeline',
      settings: { ...STACK_SETTINGS, approvalTimeoutSeconds: 86400, bakeSeconds: 300 },
      // DynamoDB numbers travel as strings: now + lockTtlSeconds, in whole seconds.
      lock: { expiresAt: '1796383800', now: '1795516200' },
    });
  });

  it('lets options.approvalTimeoutSeconds override the stack default', () => {
    // Prepare
    const input = { ...validRequest(), options: { approvalTimeoutSeconds: 3600 } };

    // Act
    const context = run(input);

    // Assess
    expect(context.settings).toEqual({ ...STACK_SETTINGS, approvalTimeoutSeconds: 3600, bakeSeconds: 300 });
  });

  it('lets options.bakeSeconds override the stack default, nothing else changing', () => {
    // Prepare
    const input = { ...validRequest(), options: { bakeSeconds: 900 } };

    // Act
    const context = run(input);

    // Assess
    expect(context.settings).toEqual({ ...STACK_SETTINGS, approvalTimeoutSeconds: 86400, bakeSeconds: 900 });
  });

  it.each([60, 3600])('accepts bakeSeconds %i, a bound of the allowed range', (seconds) => {
    // Prepare
    const input = { ...validRequest(), options: { bakeSeconds: seconds } };

    // Act
    const context = run(input);

    // Assess
    expect(context.settings.bakeSeconds).toBe(seconds);
  });

  it('hands the workflow settings its contract accepts, every field present', () => {
    // Prepare
    const input = { ...validRequest(), options: { approvalTimeoutSeconds: 600, bakeSeconds: 120 } };

    // Act
    const context = run(input);

    // Assess
    // Strict schema: a missing field fails, and so does one the ASL does not know.
    expect(v.safeParse(workflowSettingsSchema, context.settings).issues).toBeUndefined();
    expect(Object.keys(context.settings).sort()).toEqual(Object.keys(workflowSettingsSchema.entries).sort());
  });

  it('accepts a schema change when the stack has a migration command', () => {
    // Prepare
    const input = validRequest();
    input.release.schemaChange = true;

    // Act
    const context = run(input, { ...CONFIG, migrationConfigured: true });

    // Assess
    expect(context.release.schemaChange).toBe(true);
  });

  it('accepts a release without a schema change when the stack has no migration command', () => {
    // Prepare
    const input = validRequest();

    // Act
    const context = run(input, { ...CONFIG, migrationConfigured: false });

    // Assess
    expect(context.release.schemaChange).toBe(false);
  });

  it.each([300, 604800])('accepts approvalTimeoutSeconds %i, a bound of the allowed range', (seconds) => {
    // Prepare
    const input = { ...validRequest(), options: { approvalTimeoutSeconds: seconds } };

    // Act
    const context = run(input);

    // Assess
    expect(context.settings.approvalTimeoutSeconds).toBe(seconds);
  });

  it('derives the lock expiry from the configured TTL', () => {
    // Prepare
    const config: IntakeConfig = { ...CONFIG, lockTtlSeconds: 60 };

    // Act
    const context = run(validRequest(), config);

    // Assess
    expect(context.lock).toEqual({ expiresAt: '1795516260', now: '1795516200' });
  });

  it('unwraps the detail of an EventBridge event', () => {
    // Prepare
    const event = {
      version: '0',
      id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      'detail-type': 'Release Candidate Ready',
      source: 'shop.ci',
      account: '123456789012',
      time: '2026-11-24T10:29:57Z',
      region: 'eu-west-1',
      resources: [],
      detail: { ...validRequest(), options: { approvalTimeoutSeconds: 7200 } },
    };

    // Act
    const context = run(event);

    // Assess
    expect(context.release).toEqual({
      version: '1.4.0',
      image: IMAGE,
      schemaChange: false,
      notes: 'Checkout redesign',
    });
    expect(context.requestedBy).toBe('ci-pipeline');
    expect(context.settings.approvalTimeoutSeconds).toBe(7200);
  });

  it('does not unwrap an object that only has a detail field (no detail-type)', () => {
    // Prepare
    const input = { detail: validRequest() };

    // Act
    const error = invalidInputError(input);

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toContain('Unrecognized key: "detail"');
  });
});

describe('invalid input', () => {
  it.each([
    {
      case: 'release.version is missing',
      change: (request: ReturnType<typeof validRequest>) => {
        delete request.release.version;
      },
      field: 'release.version',
      detail: 'Required',
    },
    {
      case: 'the image is tagged latest',
      change: (request: ReturnType<typeof validRequest>) => {
        request.release.image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:latest';
      },
      field: 'release.image',
      detail: "the tag 'latest' is mutable",
    },
    {
      case: 'the image has no tag',
      change: (request: ReturnType<typeof validRequest>) => {
        request.release.image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop';
      },
      field: 'release.image',
      detail: 'with a tag or an @sha256 digest',
    },
    {
      case: 'schemaChange is the string "true"',
      change: (request: ReturnType<typeof validRequest>) => {
        request.release.schemaChange = 'true';
      },
      field: 'release.schemaChange',
      detail: 'Invalid type: Expected boolean but received "true"',
    },
    {
      case: 'a top-level field is unknown',
      change: (request: ReturnType<typeof validRequest>) => {
        request.targetGroupArn =
          'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/other/0123456789abcdef';
      },
      field: '(root)',
      detail: 'Unrecognized key: "targetGroupArn"',
    },
    {
      case: 'an option is unknown',
      change: (request: ReturnType<typeof validRequest>) => {
        request.options = { skipApproval: true };
      },
      field: 'options',
      detail: 'Unrecognized key: "skipApproval"',
    },
    {
      case: 'the options are a list',
      change: (request: ReturnType<typeof validRequest>) => {
        Object.assign(request, { options: [] });
      },
      field: 'options',
      detail: 'Invalid type: Expected Object but received Array',
    },
    {
      case: 'approvalTimeoutSeconds is 10',
      change: (request: ReturnType<typeof validRequest>) => {
        request.options = { approvalTimeoutSeconds: 10 };
      },
      field: 'options.approvalTimeoutSeconds',
      detail: '>=300',
    },
    {
      case: 'approvalTimeoutSeconds is 10^7',
      change: (request: ReturnType<typeof validRequest>) => {
        request.options = { approvalTimeoutSeconds: 10_000_000 };
      },
      field: 'options.approvalTimeoutSeconds',
      detail: '<=604800',
    },
    {
      case: 'bakeSeconds is 59',
      change: (request: ReturnType<typeof validRequest>) => {
        request.options = { bakeSeconds: 59 };
      },
      field: 'options.bakeSeconds',
      detail: '>=60',
    },
    {
      case: 'bakeSeconds is 3601',
      change: (request: ReturnType<typeof validRequest>) => {
        request.options = { bakeSeconds: 3601 };
      },
      field: 'options.bakeSeconds',
      detail: '<=3600',
    },
    {
      case: 'bakeSeconds is not a whole number',
      change: (request: ReturnType<typeof validRequest>) => {
        request.options = { bakeSeconds: 90.5 };
      },
      field: 'options.bakeSeconds',
      detail: 'Invalid safe integer: Received 90.5',
    },
    {
      case: 'requestedBy is empty',
      change: (request: ReturnType<typeof validRequest>) => {
        request.requestedBy = '';
      },
      field: 'requestedBy',
      detail: 'Invalid length: Expected >=1 but received 0',
    },
    {
      case: 'requestedBy is only blanks',
      change: (request: ReturnType<typeof validRequest>) => {
        request.requestedBy = '   ';
      },
      field: 'requestedBy',
      detail: 'Invalid length: Expected >=1 but received 0',
    },
  ])('throws InvalidInput naming $field when $case', ({ change, field, detail }) => {
    // Prepare
    const input = validRequest();
    change(input);

    // Act
    const error = invalidInputError(input);

    // Assess
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.name).toBe('InvalidInput');
    expect(error.message.startsWith(`${field}: `)).toBe(true);
    expect(error.message).toContain(detail);
    // One problem, one line: nothing else in the input was reported.
    expect(error.message).not.toContain(';');
  });

  it('refuses an input that is not an object', () => {
    // Prepare
    const input = '{"release":{"version":"1.4.0"}}';

    // Act
    const error = invalidInputError(input);

    // Assess
    expect(error.name).toBe('InvalidInput');
    expect(error.message).toMatch(/^\(root\): Invalid type: Expected Object but received "/);
  });
});

describe('schema changes', () => {
  it('throws InvalidInput for a schema change when the stack has no migration command', () => {
    // Prepare
    const input = validRequest();
    input.release.schemaChange = true;
    const config: IntakeConfig = { ...CONFIG, migrationConfigured: false };

    // Act
    const accept = () => run(input, config);

    // Assess
    expect(accept).toThrow(InvalidInputError);
    expect(accept).toThrow(
      'release.schemaChange: true, but this stack has no migration command configured (prop migration)',
    );
  });
});

describe('IntakeConfig', () => {
  it('is what the stack hands the function: the schema accepts the test configuration', () => {
    // Prepare
    const config = structuredClone(CONFIG);

    // Act
    const parsed = v.safeParse(intakeConfigSchema, config);

    // Assess
    expect(parsed.issues).toBeUndefined();
  });

  it('refuses settings an execution chooses itself (approval timeout and bake time are defaults)', () => {
    // Prepare
    const config = { ...CONFIG, settings: { ...STACK_SETTINGS, bakeSeconds: 300 } };

    // Act
    const parsed = v.safeParse(intakeConfigSchema, config);

    // Assess
    expect(parsed.success).toBe(false);
    expect(parsed.issues?.map((issue) => v.getDotPath(issue))).toEqual(['settings.bakeSeconds']);
  });
});
