import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The ASL file and its placeholders, without the CDK: the local rehearsal and the tests read the definition through
 * here, so they do not load aws-cdk-lib (about a second) just to read a JSON file.
 */

/** The ASL file the stack deploys; tests and the local rehearsal read the same file. */
export const DEFINITION_FILE = fileURLToPath(new URL('../statemachine/deployment-crew.asl.json', import.meta.url));

/** Placeholders the ASL file uses, filled at deployment by `definitionSubstitutions`. */
export interface DefinitionSubstitutions {
  readonly DeploymentIntakeFunctionArn: string;
  readonly ApprovalRequestFunctionArn: string;
  readonly PreDeploymentValidatorFunctionArn: string;
  readonly BlueGreenOrchestratorFunctionArn: string;
  readonly RollbackCoordinatorFunctionArn: string;
  readonly PostDeploymentVerifierFunctionArn: string;
  readonly ListenerArn: string;
  readonly CrewTableName: string;
  readonly LockKey: string;
  readonly ChairmanTopicArn: string;
  readonly EventBusName: string;
}

/** Reads the ASL file. The top-level `TimeoutSeconds` there is the single source of the execution's time limit. */
export function readDefinition(): { text: string; timeoutSeconds: number } {
  const text = readFileSync(DEFINITION_FILE, 'utf8');
  const timeoutSeconds = (JSON.parse(text) as { TimeoutSeconds?: unknown }).TimeoutSeconds;
  if (typeof timeoutSeconds !== 'number') throw new Error(`${DEFINITION_FILE} has no numeric TimeoutSeconds`);
  return { text, timeoutSeconds };
}

/**
 * Fills the placeholders the way Step Functions' `DefinitionSubstitutions` does, for running the same file locally.
 * A placeholder without a value is an error, so a renamed substitution cannot slip through a local run.
 */
export function renderDefinition(text: string, substitutions: Readonly<Record<string, string>>): string {
  return text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (placeholder, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`no substitution for ${placeholder} in the state machine definition`);
    return value;
  });
}
