import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { CommandResult, CrewContext } from './context';
import { CrewError, EXIT_CODES } from './errors';
import { defaultStackName } from './stack';

/**
 * The `crew` command line: start, approve, watch and stop deployments without the Step Functions console, task
 * tokens or hand-signed requests. Parsing is commander's; each command is a function of a CrewContext (commands/),
 * so the whole CLI runs in tests against mocked AWS clients. `run` answers with the exit code.
 */

export interface GlobalOptions {
  readonly stack?: string;
  readonly region?: string;
  readonly json?: boolean;
}

/** Builds the context for the options the user gave: real clients in bin.ts, mocked ones in tests. */
export type ContextFactory = (options: { stackName: string; region: string | undefined; json: boolean }) => CrewContext;

export interface RunDeps {
  readonly contextFor: ContextFactory;
  /** `crew rehearse`: runs the rehearsal CLI with these arguments and answers with its exit code. */
  readonly rehearse: (args: readonly string[]) => Promise<number>;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

function positiveInt(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new InvalidArgumentError('must be a positive whole number');
  return parsed;
}

/** Each history entry costs up to two AWS calls: a bound keeps one command from hammering the APIs. */
function historyLimit(value: string): number {
  const limit = positiveInt(value);
  if (limit > 1000) throw new InvalidArgumentError('at most 1000');
  return limit;
}

function print(context: CrewContext, result: CommandResult): void {
  if (context.json) context.io.stdout(`${JSON.stringify(result.json, null, 2)}\n`);
  else for (const line of result.human) context.io.stdout(`${line}\n`);
}

export function buildProgram(deps: RunDeps, exit: { code: number }): Command {
  const program = new Command('crew')
    .description('Operate DeploymentCrew deployments: start, approve, watch, roll back.')
    .option('--stack <name>', 'the DeploymentCrew stack', defaultStackName())
    .option('--region <region>', 'the stack region (default: the AWS SDK default, e.g. AWS_REGION)')
    .option('--json', 'print exactly one JSON document on stdout')
    .showHelpAfterError()
    .configureOutput({ writeOut: deps.stdout, writeErr: deps.stderr })
    .exitOverride();

  const contextOf = (command: Command): CrewContext => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    return deps.contextFor({
      stackName: globals.stack ?? defaultStackName(),
      region: globals.region,
      json: globals.json === true,
    });
  };
  /** Runs one command and prints its result; failures reach `run` with their exit code. */
  const action =
    <O extends Record<string, unknown>>(
      handler: (context: CrewContext, options: O, command: Command) => Promise<CommandResult>,
    ) =>
    async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const context = contextOf(command);
      print(context, await handler(context, command.opts<O>(), command));
    };

  program
    .command('start')
    .description('validate a release and start its deployment')
    .requiredOption('--version <version>', 'the release version label, e.g. 1.4.0')
    .requiredOption('--image <uri>', 'the release candidate image, pinned by tag or @sha256 digest')
    .option('--schema-change', 'the release changes the database schema (migrations run)', false)
    .option('--notes <text>', 'free text for the Chairman and the report')
    .option('--requested-by <who>', 'who asks (default crew:<user>@<host>)')
    .option('--approval-timeout <seconds>', 'how long the Chairman has to answer', positiveInt)
    .option('--bake <seconds>', 'bake time per canary step', positiveInt)
    .action(
      action(
        async (
          context,
          options: {
            version: string;
            image: string;
            schemaChange: boolean;
            notes?: string;
            requestedBy?: string;
            approvalTimeout?: number;
            bake?: number;
          },
        ) => {
          const { start } = await import('./commands/start');
          return start(context, {
            version: options.version,
            image: options.image,
            schemaChange: options.schemaChange,
            notes: options.notes,
            requestedBy: options.requestedBy,
            approvalTimeoutSeconds: options.approvalTimeout,
            bakeSeconds: options.bake,
          });
        },
      ),
    );

  const kindOption = new Option('--kind <kind>', 'which approval, when more than one waits').choices([
    'START',
    'DATABASE_ROLLBACK',
  ]);
  program
    .command('approve <deployment>')
    .description('approve the approval waiting for this deployment (start or database rollback)')
    .option('--reason <text>', 'why, for the record')
    .addOption(kindOption)
    .action(
      action(async (context, options: { reason?: string; kind?: 'START' | 'DATABASE_ROLLBACK' }, command) => {
        const { answer } = await import('./commands/answer');
        return answer(context, { deployment: command.args[0] as string, decision: 'approve', ...options });
      }),
    );
  program
    .command('reject <deployment>')
    .description('reject the approval waiting for this deployment')
    .requiredOption('--reason <text>', 'why (required)')
    .addOption(kindOption)
    .action(
      action(async (context, options: { reason: string; kind?: 'START' | 'DATABASE_ROLLBACK' }, command) => {
        const { answer } = await import('./commands/answer');
        return answer(context, { deployment: command.args[0] as string, decision: 'reject', ...options });
      }),
    );
  program
    .command('rollback <deployment>')
    .description("the Chairman's override: roll this deployment back now, the same path as an alarm")
    .requiredOption('--reason <text>', 'why (required, recorded)')
    .action(
      action(async (context, options: { reason: string }, command) => {
        const { rollback } = await import('./commands/rollback');
        return rollback(context, { deployment: command.args[0] as string, reason: options.reason });
      }),
    );
  program
    .command('status <deployment>')
    .description('phase, green weight, latest verdict, waiting approvals and last events of a deployment')
    .option('--watch', 'redraw until the execution ends')
    .action(
      action(async (context, options: { watch?: boolean }, command) => {
        const { status, watchStatus } = await import('./commands/status');
        const deployment = command.args[0] as string;
        return options.watch === true ? watchStatus(context, { deployment }) : status(context, { deployment });
      }),
    );
  program
    .command('history')
    .description('past deployments: outcome, duration, rollback type, report')
    .option('--limit <n>', 'how many, newest first (at most 1000)', historyLimit, 20)
    .action(
      action(async (context, options: { limit: number }) => {
        const { history } = await import('./commands/history');
        return history(context, { limit: options.limit });
      }),
    );
  program
    .command('unlock')
    .description('clear a deployment lock left by an escalation (shows what holds it, asks to confirm)')
    .requiredOption('--force', 'required: clearing a lock is never implicit')
    .option('--yes', 'do not ask (scripts)')
    .action(
      action(async (context, options: { force: boolean; yes?: boolean }) => {
        const { unlock } = await import('./commands/unlock');
        return unlock(context, { force: options.force, yes: options.yes === true });
      }),
    );
  program
    .command('rehearse')
    .description('the local rehearsal, offline (same flags as npm run rehearse; --help for them)')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => {
      exit.code = await deps.rehearse(args);
    });
  return program;
}

/** Parses and runs one command line; answers with the exit code (errors/exit codes in errors.ts). */
export async function run(argv: readonly string[], deps: RunDeps): Promise<number> {
  // `crew rehearse` passes everything on untouched (its own --json, --scenario…): commander would take --json itself.
  if (argv[0] === 'rehearse') return deps.rehearse(argv.slice(1));
  const exit = { code: 0 };
  const program = buildProgram(deps, exit);
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help is an exit with code 0; a usage mistake has already been printed (stderr) by commander.
      if (error.exitCode === 0) return 0;
      if (json) {
        const message = error.code === 'commander.help' ? 'no command given' : error.message.replace(/^error: /, '');
        deps.stdout(
          `${JSON.stringify({ error: { code: 'USAGE', message, hint: 'crew --help lists the commands and their options' } }, null, 2)}\n`,
        );
      }
      return EXIT_CODES.USAGE;
    }
    const crewError =
      error instanceof CrewError
        ? error
        : new CrewError('INTERNAL', `internal error: ${error instanceof Error ? error.message : String(error)}`);
    if (json) {
      deps.stdout(
        `${JSON.stringify({ error: { code: crewError.code, message: crewError.message, hint: crewError.hint ?? null } }, null, 2)}\n`,
      );
    } else {
      deps.stderr(`crew: ${crewError.message}\n`);
      if (crewError.hint !== undefined) deps.stderr(`  ${crewError.hint}\n`);
    }
    return crewError.exitCode;
  }
}
