/**
 * The parts of an ASL definition the infrastructure tests read, and a walk over every state (those inside Parallel
 * branches and Map processors included). Shared by the ASL file checks and the template checks.
 */

export interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly MaxAttempts?: number;
}

export interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
}

export interface ChoiceRule {
  readonly Variable?: string;
  readonly StringEquals?: string;
  readonly Next?: string;
  readonly And?: readonly ChoiceRule[];
  readonly Or?: readonly ChoiceRule[];
  readonly Not?: ChoiceRule;
}

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly ResultPath?: string | null;
  readonly Next?: string;
  readonly TimeoutSeconds?: number;
  readonly TimeoutSecondsPath?: string;
  readonly HeartbeatSeconds?: number;
  readonly HeartbeatSecondsPath?: string;
  readonly Retry?: readonly Retrier[];
  readonly Catch?: readonly Catcher[];
  readonly Choices?: readonly ChoiceRule[];
  readonly Default?: string;
  readonly Error?: string;
  readonly ErrorPath?: string;
  readonly Branches?: readonly AslMachine[];
  readonly ItemProcessor?: AslMachine;
  readonly Iterator?: AslMachine;
}

export interface AslMachine {
  readonly StartAt: string;
  readonly TimeoutSeconds?: number;
  readonly States: Record<string, AslState>;
}

export interface StateEntry {
  /** Name, qualified by the enclosing Parallel/Map: `PreDeploymentValidation[1]/CreateDatabaseSnapshot`. */
  readonly id: string;
  readonly state: AslState;
  /** True when an enclosing Parallel or Map catches States.ALL. */
  readonly caughtByEnclosing: boolean;
}

/** The optimized integration that invokes a Lambda function (request-response or callback). */
const LAMBDA_INVOKE_INTEGRATION = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/;
const FUNCTION_PLACEHOLDER = /^\$\{([A-Za-z0-9_]+FunctionArn)\}$/;

export function catchesAll(state: AslState): boolean {
  return (state.Catch ?? []).some((catcher) => catcher.ErrorEquals.includes('States.ALL'));
}

/** Every state of the machine, those in Parallel branches and Map processors included. */
export function statesOf(machine: AslMachine, scope = '', caughtByEnclosing = false): StateEntry[] {
  return Object.entries(machine.States).flatMap(([name, state]) => {
    const id = scope === '' ? name : `${scope}/${name}`;
    const caught = caughtByEnclosing || catchesAll(state);
    const inner = state.ItemProcessor ?? state.Iterator;
    return [
      { id, state, caughtByEnclosing },
      ...(state.Branches ?? []).flatMap((branch, index) => statesOf(branch, `${id}[${index}]`, caught)),
      ...(inner ? statesOf(inner, `${id}[item]`, caught) : []),
    ];
  });
}

export function isLambdaTask(state: AslState): boolean {
  const resource = state.Resource ?? '';
  return state.Type === 'Task' && (FUNCTION_PLACEHOLDER.test(resource) || LAMBDA_INVOKE_INTEGRATION.test(resource));
}

export function isCallback(state: AslState): boolean {
  return state.Type === 'Task' && (state.Resource ?? '').endsWith('.waitForTaskToken');
}

/**
 * The `${...FunctionArn}` placeholder naming the function a Lambda task invokes: its Resource (the short form) or the
 * FunctionName parameter of the lambda:invoke integration. Undefined for any other state.
 */
export function invokedFunctionPlaceholder(state: AslState): string | undefined {
  if (!isLambdaTask(state)) return undefined;
  const resource = state.Resource ?? '';
  const target = LAMBDA_INVOKE_INTEGRATION.test(resource) ? state.Parameters?.FunctionName : resource;
  return typeof target === 'string' ? FUNCTION_PLACEHOLDER.exec(target)?.[1] : undefined;
}
