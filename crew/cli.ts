import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createContext } from './context';
import { createFunctionUrlCaller } from './function-url';
import { run } from './main';

/**
 * `crew`'s real wiring: the AWS SDK's default credential chain (as the AWS CLI: environment, profile, SSO, the
 * instance or container role) and region, one client per service, the terminal. main.ts is the behaviour.
 */

/** The launcher `npm run rehearse` runs (rehearsal/launch.mjs): resolved from this file, so a linked `crew` runs anywhere. */
const REHEARSAL_LAUNCHER = fileURLToPath(new URL('../rehearsal/launch.mjs', import.meta.url));

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(`${question} [y/N] `)).trim());
  } finally {
    terminal.close();
  }
}

/** The rehearsal CLI in its own process: it cleans the environment (AWS credentials) before anything loads. */
function rehearse(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REHEARSAL_LAUNCHER, ...args], {
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

process.exitCode = await run(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  rehearse,
  contextFor: ({ stackName, region, json }) => {
    const credentials = fromNodeProviderChain();
    const config = { ...(region === undefined ? {} : { region }), credentials };
    const sfn = new SFNClient(config);
    return createContext({
      stackName,
      region: region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
      json,
      clients: {
        sfn,
        cloudFormation: new CloudFormationClient(config),
        dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
        callFunctionUrl: createFunctionUrlCaller({ credentials }),
      },
      io: {
        stdout: (text) => process.stdout.write(text),
        stderr: (text) => process.stderr.write(text),
        confirm,
        isTTY: process.stdout.isTTY === true,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      },
      now: () => new Date(),
    });
  },
});
