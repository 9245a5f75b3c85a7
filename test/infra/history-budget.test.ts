import { describe, expect, it } from 'vitest';
import { intakeConfigFor } from '../../lib/agents/deployment-intake';
import { checkHistoryBudget, HISTORY_EVENT_LIMIT, loopBoundsFor } from '../../lib/config/history-budget';
import { type LoopBound, worstCaseHistoryEvents } from '../../lib/config/history-graph';
import { resolveConfig } from '../../lib/config/resolve-config';
import { parseContextConfig } from '../../lib/context-config';
import { readDefinition } from '../../lib/deployment-state-machine';
import { buildSampleStack, sampleContext } from '../support/sample-stack';
import { type AslMachine, isLambdaTask, statesOf } from './asl-definition';

const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:agent';
const CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** The sample configuration with some context keys changed, resolved as the construct resolves it. */
function configWith(overrides: Record<string, unknown> = {}) {
  return resolveConfig(parseContextConfig({ ...sampleContext(), ...overrides }).crew);
}

function bound(passes: number): LoopBound {
  return { label: 'test loop', verb: 'runs', passes, fix: 'change the test' };
}

/** Start (a retried Lambda task) → Wait → Check → IsDone, which loops back to Wait or ends. */
const POLL_LOOP = {
  StartAt: 'Start',
  States: {
    Start: { Type: 'Task', Resource: FUNCTION, Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 2 }], Next: 'Wait' },
    Wait: { Type: 'Wait', Seconds: 5, Next: 'Check' },
    Check: { Type: 'Task', Resource: FUNCTION, Retry: [{ ErrorEquals: ['Boom'], MaxAttempts: 4 }], Next: 'IsDone' },
    IsDone: {
      Type: 'Choice',
      Choices: [{ Variable: '$.done', BooleanEquals: false, Next: 'Wait' }],
      Default: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

describe('the worst-case history of a state machine', () => {
  it('counts every loop pass at its bound and every retry on the straight path', () => {
    // Prepare
    const bounds = { Wait: bound(10) };

    // Act
    const estimate = worstCaseHistoryEvents(POLL_LOOP, bounds);

    // Assess
    // Execution 2 + Start 2 + 3 × (1 + 2 retries) + 9 earlier passes × (Wait 2 + Check 5 + IsDone 2) + the last
    // pass with Check's 4 retries (2 + 2 + 3 × 5 + 2) + Succeed 2.
    expect(estimate.events).toBe(2 + 11 + 9 * 9 + 21 + 2);
    expect(estimate.loops).toEqual([
      expect.objectContaining({
        header: 'Wait',
        states: ['Wait', 'Check', 'IsDone'],
        totalPasses: 10,
        eventsPerPass: 9,
      }),
    ]);
  });

  it('runs an inner loop to its bound on every pass of the outer one', () => {
    // Prepare
    const machine = {
      StartAt: 'Shift',
      States: {
        Shift: { Type: 'Task', Resource: FUNCTION, Next: 'Bake' },
        Bake: { Type: 'Task', Resource: CALLBACK, Next: 'Route' },
        Route: {
          Type: 'Choice',
          Choices: [
            { Variable: '$.next', StringEquals: 'shift', Next: 'Shift' },
            { Variable: '$.next', StringEquals: 'bake', Next: 'Bake' },
          ],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    };

    // Act
    const estimate = worstCaseHistoryEvents(machine, { Shift: bound(3), Bake: bound(2) });

    // Assess
    // 3 shifts × 5, 3 × 2 bakes × (callback 6 + Route 2), Succeed 2, execution 2.
    expect(estimate.events).toBe(3 * 5 + 6 * 8 + 2 + 2);
    expect(estimate.loops.map(({ header, totalPasses }) => [header, totalPasses])).toEqual([
      ['Shift', 3],
      ['Bake', 6],
    ]);
  });

  it('adds every branch of a Parallel and sums the MaxAttempts of all retriers of a state', () => {
    // Prepare
    const machine = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          End: true,
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
            {
              StartAt: 'B',
              States: {
                B: {
                  Type: 'Task',
                  Resource: FUNCTION,
                  Retry: [{ ErrorEquals: ['One'] }, { ErrorEquals: ['Two'], MaxAttempts: 1 }],
                  End: true,
                },
              },
            },
          ],
        },
      },
    };

    // Act
    const estimate = worstCaseHistoryEvents(machine, {});

    // Assess
    // Parallel 4 + Pass 2 + B 2 + 3 × (1 + 3 default attempts + 1) + execution 2.
    expect(estimate.events).toBe(4 + 2 + 17 + 2);
  });

  it('refuses a loop whose bound it does not know, naming its states', () => {
    // Prepare
    const bounds = {};

    // Act
    const act = () => worstCaseHistoryEvents(POLL_LOOP, bounds);

    // Assess
    expect(act).toThrow('the loop Wait → Check → IsDone (entered at Wait) has no known bound; add its header');
  });

  it('refuses a cycle that can be entered at two states', () => {
    // Prepare
    const machine = {
      StartAt: 'Pick',
      States: {
        Pick: { Type: 'Choice', Choices: [{ Variable: '$.a', BooleanEquals: true, Next: 'A' }], Default: 'B' },
        A: { Type: 'Pass', Next: 'B' },
        B: { Type: 'Choice', Choices: [{ Variable: '$.again', BooleanEquals: true, Next: 'A' }], Default: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };

    // Act
    const act = () => worstCaseHistoryEvents(machine, { A: bound(2), B: bound(2) });

    // Assess
    expect(act).toThrow('the cycle through A, B can be entered at more than one state');
  });

  it('refuses a Map state, whose iterations it cannot bound', () => {
    // Prepare
    const machine = {
      StartAt: 'Each',
      States: {
        Each: { Type: 'Map', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true },
      },
    };

    // Act
    const act = () => worstCaseHistoryEvents(machine, {});

    // Assess
    expect(act).toThrow('Each is a Map state, whose events it cannot bound');
  });
});

describe('the history budget of the deployment state machine', () => {
  const definition = readDefinition();
  const sample = checkHistoryBudget(configWith(), definition);

  it(`keeps the sample configuration at ${sample.events.toLocaleString('en-US')} worst-case events, under 20,000`, () => {
    // Prepare
    const config = configWith();

    // Act
    const estimate = checkHistoryBudget(config, definition);

    // Assess
    const loopEvents = estimate.loops.reduce((sum, loop) => sum + loop.totalPasses * loop.eventsPerPass, 0);
    expect(estimate.events).toBeGreaterThan(loopEvents);
    expect(estimate.events).toBeLessThan(HISTORY_EVENT_LIMIT);
    expect(estimate.loops.find(({ header }) => header === 'WaitForDatabaseSnapshot')).toMatchObject({
      totalPasses: 240,
      eventsPerPass: 9,
    });
  });

  it('knows the bound of every loop in the ASL, and lists no loop the ASL does not have', () => {
    // Prepare
    const config = configWith();

    // Act
    const headers = checkHistoryBudget(config, definition).loops.map(({ header }) => header);

    // Assess
    expect(headers.toSorted()).toEqual(Object.keys(loopBoundsFor(config)).toSorted());
  });

  it('bounds each wait loop by the poll count the intake hands the state machine', () => {
    // Prepare
    const config = configWith({ greenReadyTimeoutSeconds: 1000, databaseRestoreTimeoutSeconds: 7000 });

    // Act
    const bounds = loopBoundsFor(config);

    // Assess
    const settings = intakeConfigFor(config, definition.timeoutSeconds).settings;
    expect({
      snapshot: bounds.WaitForDatabaseSnapshot?.passes,
      green: bounds.WaitForGreen?.passes,
      migration: bounds.WaitForMigration?.passes,
      restore: bounds.WaitForDatabaseRestore?.passes,
      steps: bounds.ShiftTraffic?.passes,
    }).toEqual({
      snapshot: settings.snapshotMaxPolls,
      green: settings.greenMaxPolls,
      migration: settings.migrationMaxPolls,
      restore: settings.restoreMaxPolls,
      steps: settings.canarySteps.length,
    });
  });

  it('refuses a 24 h snapshot timeout polled every 30 s, naming the snapshot loop and what to change', () => {
    // Prepare
    const config = configWith({ snapshotTimeoutSeconds: 86_400, snapshotPollSeconds: 30 });

    // Act
    const act = () => checkHistoryBudget(config, definition);

    // Assess
    expect(act).toThrow(
      /^worst case \d{2},\d{3} history events \(limit 20,000; .*\): the snapshot wait loop WaitForDatabaseSnapshot polls 2,880 times × 9 events; raise snapshotPollInterval or lower snapshotTimeout$/,
    );
  });

  it('accepts a 24 h snapshot timeout polled every 60 s: 1,440 polls leave room for the rest', () => {
    // Prepare
    const config = configWith({ snapshotTimeoutSeconds: 86_400, snapshotPollSeconds: 60 });

    // Act
    const estimate = checkHistoryBudget(config, definition);

    // Assess
    expect(estimate.events).toBeGreaterThan(1_440 * 9);
    expect(estimate.events).toBeLessThan(HISTORY_EVENT_LIMIT);
  });

  it('makes the DeploymentCrew construct refuse the 24 h snapshot timeout at synth', () => {
    // Prepare
    const overrides = { snapshotTimeoutSeconds: 86_400 };

    // Act
    const act = () => buildSampleStack(overrides);

    // Assess
    expect(act).toThrow(/history events \(limit 20,000.*WaitForDatabaseSnapshot polls 2,880 times/);
  });

  it("retries Lambda.ServiceException on every Lambda task, the retries the budget's straight path counts", () => {
    // Prepare
    const lambdaTasks = statesOf(JSON.parse(definition.text) as AslMachine).filter(({ state }) => isLambdaTask(state));

    // Act
    const unretried = lambdaTasks.filter(
      ({ state }) =>
        !(state.Retry ?? []).some(
          (retrier) =>
            (retrier.ErrorEquals.includes('Lambda.ServiceException') || retrier.ErrorEquals.includes('States.ALL')) &&
            (retrier.MaxAttempts ?? 3) > 0,
        ),
    );

    // Assess
    expect(lambdaTasks.length).toBeGreaterThan(20);
    expect(unretried.map(({ id }) => id)).toEqual([]);
  });
});
