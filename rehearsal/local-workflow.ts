import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { readDefinition, renderDefinition } from '../lib/state-machine-definition';

/**
 * Runs the real ASL file with aws-local-stepfunctions: the same text the stack deploys, its placeholders filled the
 * way Step Functions fills them, every Task routed to a local handler (the run refuses to start if one is missing, so
 * no test can call AWS by accident), Waits and retry back-offs instant, and a cap on transitions so that a loop that
 * never ends fails the test instead of hanging it.
 */

export const LOCAL_SUBSTITUTIONS = {
  DeploymentIntakeFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:DeploymentIntake',
  ApprovalRequestFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:ApprovalRequest',
  PreDeploymentValidatorFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:PreDeploymentValidator',
  BlueGreenOrchestratorFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:BlueGreenOrchestrator',
  RollbackCoordinatorFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:RollbackCoordinator',
  PostDeploymentVerifierFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:PostDeploymentVerifier',
  ListenerArn:
    'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2',
  CrewTableName: 'deployment-crew-state',
  LockKey:
    'LOCK#arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-prod/50dc6c495c0c9188/f2f7dc8efc522ab2',
  ChairmanTopicArn: 'arn:aws:sns:eu-west-1:123456789012:DeploymentCrewChairman',
  EventBusName: 'default',
} as const;

export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer Event> ? Event : never;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type AslState = {
  Type: string;
  Branches?: { States: Record<string, AslState> }[];
  Retry?: unknown[];
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
};

/** A local stand-in for a Task state: receives the processed Parameters, returns the result or throws. */
export type TaskHandler = (input: Json) => Promise<unknown> | unknown;

export interface WorkflowRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output: Json | undefined;
  readonly error: string | undefined;
  readonly cause: string | undefined;
  /** Names of the states entered, in order (Parallel branches interleave). */
  readonly visited: readonly string[];
  /** Retries that happened, by state name. */
  readonly retries: readonly string[];
  readonly events: readonly EventLog[];
}

/** A thrown error whose `name` is what the ASL's Retry/Catch match, as a Lambda error type would be. */
export function workflowError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function collectStates(states: Record<string, AslState>, into: Map<string, AslState>): Map<string, AslState> {
  for (const [name, state] of Object.entries(states)) {
    into.set(name, state);
    for (const branch of state.Branches ?? []) collectStates(branch.States, into);
  }
  return into;
}

const definitionText = renderDefinition(readDefinition().text, LOCAL_SUBSTITUTIONS);
const definition = JSON.parse(definitionText) as StateMachineDefinition & { States: Record<string, AslState> };
export const ALL_STATES = collectStates(definition.States, new Map());

/**
 * aws-local-stepfunctions 3 reads `TimeoutSecondsPath` from the task's processed Parameters, while Step Functions
 * reads it from the state's input. Locally the path is checked against the state input (as AWS would resolve it)
 * each time the state is entered, and the task gets a fixed timeout: local handlers settle at once anyway, and a
 * timeout is rehearsed by a handler throwing States.Timeout.
 */
const TIMEOUT_PATHS = new Map<string, string>();
for (const [name, state] of ALL_STATES) {
  if (state.TimeoutSecondsPath !== undefined) {
    TIMEOUT_PATHS.set(name, state.TimeoutSecondsPath);
    delete state.TimeoutSecondsPath;
    state.TimeoutSeconds = 3600;
  }
}

/** Resolves a plain reference path (`$.a.b`) the way Step Functions resolves TimeoutSecondsPath. */
function resolveReferencePath(path: string, input: unknown): unknown {
  let value: unknown = input;
  for (const key of path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}
export const TASK_STATES = [...ALL_STATES].filter(([, state]) => state.Type === 'Task').map(([name]) => name);
const stateMachine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });

export interface RunWorkflowOptions {
  /** Handlers for every Task state. */
  readonly tasks: Readonly<Record<string, TaskHandler>>;
  readonly executionName?: string;
  /** Fails the run when more states than this are entered. */
  readonly maxTransitions?: number;
  /**
   * The state machine's clock: `$$.State.EnteredTime` reads it (a simulated world's virtual time).
   * @default - a fixed time, 2026-11-24T10:00:01Z
   */
  readonly clock?: () => Date;
  /** Called with each event as it happens (the rehearsal's live timeline). */
  readonly onEvent?: (event: EventLog) => void;
}

export async function runWorkflow(input: unknown, options: RunWorkflowOptions): Promise<WorkflowRun> {
  const missing = TASK_STATES.filter((name) => options.tasks[name] === undefined);
  if (missing.length > 0) throw new Error(`no local handler for Task state(s): ${missing.join(', ')}`);
  const unknown = Object.keys(options.tasks).filter((name) => !TASK_STATES.includes(name));
  if (unknown.length > 0) throw new Error(`handlers for states that are not Tasks in the ASL: ${unknown.join(', ')}`);

  const executionName = options.executionName ?? 'rel-1-4-0-test';
  const waits = Object.fromEntries([...ALL_STATES].filter(([, s]) => s.Type === 'Wait').map(([name]) => [name, 0]));
  const retryIntervals = Object.fromEntries([...ALL_STATES].filter(([, s]) => s.Retry).map(([name]) => [name, 0]));
  const execution = stateMachine.run(input as Json, {
    overrides: {
      taskResourceLocalHandlers: Object.fromEntries(
        Object.entries(options.tasks).map(([name, handler]) => [
          name,
          async (taskInput: Json) => (await handler(taskInput)) as Json,
        ]),
      ),
      waitTimeOverrides: waits,
      retryIntervalOverrides: retryIntervals,
    },
    context: {
      Execution: {
        Id: `arn:aws:states:eu-west-1:123456789012:execution:DeploymentCrew:${executionName}`,
        Name: executionName,
        StartTime: '2026-11-24T10:00:00.000Z',
      },
      // Read when a path asks for it: the library copies the context shallowly, so the getter stays live.
      State: {
        get EnteredTime() {
          return options.clock?.().toISOString() ?? '2026-11-24T10:00:01.000Z';
        },
        Name: 'local',
      },
      Task: { Token: 'local-task-token-SECRET' },
    },
  });

  const maxTransitions = options.maxTransitions ?? 500;
  const events: EventLog[] = [];
  const visited: string[] = [];
  const retries: string[] = [];
  const contractViolations: string[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event);
      options.onEvent?.(event);
      if (event.type === 'StateEntered') {
        visited.push(event.state.name);
        const timeoutPath = TIMEOUT_PATHS.get(event.state.name);
        if (timeoutPath !== undefined) {
          const timeout = resolveReferencePath(timeoutPath, event.state.input);
          if (!Number.isInteger(timeout) || (timeout as number) < 1) {
            contractViolations.push(`${event.state.name}: TimeoutSecondsPath ${timeoutPath} resolved to ${timeout}`);
          }
        }
        if (visited.length > maxTransitions) execution.abort();
      }
      if (event.type === 'StateRetried') retries.push(event.state.name);
    }
  })();

  const checkContracts = () => {
    if (contractViolations.length > 0) throw new Error(contractViolations.join('; '));
  };
  try {
    const output = await execution.result;
    await collecting;
    checkContracts();
    return { status: 'SUCCEEDED', output, error: undefined, cause: undefined, visited, retries, events };
  } catch (error) {
    await collecting;
    checkContracts();
    if (visited.length > maxTransitions) throw new Error(`more than ${maxTransitions} transitions: a loop did not end`);
    if (!(error instanceof ExecutionError)) throw error;
    const failed = events.find((event) => event.type === 'ExecutionFailed');
    const errorName = failed && 'Error' in failed ? String(failed.Error) : error.name;
    const cause = failed && 'Cause' in failed ? String(failed.Cause) : error.message;
    return { status: 'FAILED', output: undefined, error: errorName, cause, visited, retries, events };
  }
}
