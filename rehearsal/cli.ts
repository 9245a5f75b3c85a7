/**
 * `npm run rehearse [-- --scenario <name|path>] [--replay <file>] [--json] [--list]`: the real state machine and
 * agents, offline, against a simulated production. See `--help`, and cli-main.ts for what it does.
 *
 * The environment is cleaned first and everything else is imported after it: the AWS SDK reads credentials and the
 * agents' loggers read POWERTOOLS_LOG_LEVEL when their modules load.
 */
import { prepareEnvironment, wantsColour } from './cli-env';

const notice = prepareEnvironment(process.env);
if (notice !== null) process.stderr.write(`${notice}\n`);

const { main } = await import('./cli-main');

// Only the CLI writes to stdout (`--json` promises one document there); anything else that prints goes to stderr.
const stdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

process.exitCode = await main(
  process.argv.slice(2),
  {
    out: (line) => stdout(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    colour: wantsColour(process.stdout, process.env),
    cwd: process.cwd(),
  },
  async () => {
    const [scenarios, { ReplayError, replayOptionsOf }, { renderReportChart }, { runRehearsal }, timeline, format] =
      await Promise.all([
        import('./scenario'),
        import('./replay'),
        import('../lambdas/shared/deployment-report-chart'),
        import('./rehearse'),
        import('./timeline'),
        import('./cli-format'),
      ]);
    return {
      defaultScenario: scenarios.DEFAULT_SCENARIO,
      loadScenario: scenarios.loadScenario,
      describeScenario: (scenario) => scenario.description,
      listScenarios: scenarios.listScenarios,
      rehearsalOptionsOf: scenarios.rehearsalOptionsOf,
      checkExpectation: scenarios.checkExpectation,
      isScenarioError: (error) => error instanceof scenarios.ScenarioError || error instanceof ReplayError,
      replayOptionsOf: (file) => replayOptionsOf(file),
      renderReportChart,
      printableSteps: format.printableSteps(timeline),
      runRehearsal,
    };
  },
);
