import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FunctionUrlCaller } from './function-url';
import { discoverStack, type StackOutputs } from './stack';

/**
 * What every `crew` command gets: the AWS clients (built once per run, from the SDK's default credential chain and
 * the chosen region; mocked in tests), the stack's outputs (read once, on first use), the terminal, and the clock.
 */

export interface CrewIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Asks a yes/no question on the terminal; false when there is no terminal to ask on. */
  readonly confirm: (question: string) => Promise<boolean>;
  /** Whether stdout is a terminal (colour, redrawing in place). */
  readonly isTTY: boolean;
  /** Waits between two redraws of `status --watch`. */
  readonly sleep: (ms: number) => Promise<void>;
}

export interface CrewClients {
  readonly sfn: SFNClient;
  readonly cloudFormation: CloudFormationClient;
  readonly dynamo: DynamoDBDocumentClient;
  readonly callFunctionUrl: FunctionUrlCaller;
}

export interface CrewContext {
  readonly stackName: string;
  /** The region the clients use; undefined when none is configured (the first AWS call then fails clearly). */
  readonly region: string | undefined;
  /** `--json`: stdout gets exactly one JSON document. */
  readonly json: boolean;
  readonly clients: CrewClients;
  readonly io: CrewIo;
  readonly now: () => Date;
  /** The deployed stack's outputs (DescribeStacks once per run). */
  readonly stack: () => Promise<StackOutputs>;
}

/** What a command returns: one JSON document for `--json`, lines for people otherwise. */
export interface CommandResult {
  readonly json: unknown;
  readonly human: readonly string[];
}

export function createContext(
  options: Omit<CrewContext, 'stack'> & { readonly stack?: () => Promise<StackOutputs> },
): CrewContext {
  let outputs: Promise<StackOutputs> | undefined;
  return {
    ...options,
    stack:
      options.stack ??
      (() => {
        outputs ??= discoverStack(options.clients.cloudFormation, options.stackName, options.region);
        return outputs;
      }),
  };
}
