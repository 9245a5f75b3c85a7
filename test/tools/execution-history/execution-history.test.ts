import {
  GetExecutionHistoryCommand,
  type GetExecutionHistoryCommandInput,
  type HistoryEventType,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { countTransitions, createExecutionHistory } from '../../../lambdas/tools/execution-history';

const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew-Workflow:rel-1-4-0';
const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

describe('countTransitions', () => {
  it('counts every state entered and every task attempt beyond its state’s first (a retry)', () => {
    // Prepare: a Pass, a task that succeeded at once, a task retried twice, a Choice.
    const types = [
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskFailed',
      'TaskScheduled',
      'TaskFailed',
      'TaskScheduled',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
    ];

    // Act
    const count = countTransitions(types.map((type) => ({ type: type as HistoryEventType })));

    // Assess
    expect(count).toEqual({ transitions: 6, statesEntered: 4, retries: 2, events: types.length });
  });
});

describe('execution history tool', () => {
  it('reads every page without the execution data and counts them together', async () => {
    // Prepare
    // The paginator re-uses its input object: each call's input is copied as it is sent.
    const calls: GetExecutionHistoryCommandInput[] = [];
    const pages = [
      { events: [{ type: 'PassStateEntered' }], nextToken: 'page-2' },
      { events: [{ type: 'TaskStateEntered' }, { type: 'TaskScheduled' }] },
    ];
    sfn.on(GetExecutionHistoryCommand).callsFake((input: GetExecutionHistoryCommandInput) => {
      calls.push({ ...input });
      return pages[calls.length - 1];
    });

    // Act
    const count = await createExecutionHistory(new SFNClient({ region: 'eu-west-1' })).countTransitions(EXECUTION);

    // Assess
    expect(count.transitions).toBe(2);
    expect(calls).toEqual([
      { executionArn: EXECUTION, maxResults: 1000, includeExecutionData: false },
      { executionArn: EXECUTION, maxResults: 1000, includeExecutionData: false, nextToken: 'page-2' },
    ]);
  });
});
