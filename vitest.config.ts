import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20000,
    // The agents log as on Lambda; tests that look at the logs set their own level.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    // Vitest keeps a core for itself by default: one worker on two cores, where nearly all the time is the tests'.
    maxWorkers: availableParallelism(),
    // A worker runs file after file in one process, so node_modules (the CDK, the AWS SDK) load once per worker, not
    // once per file; per-file-state.ts gives each file fresh project modules, its own process.env and no SDK mocks.
    isolate: false,
    setupFiles: ['test/support/per-file-state.ts'],
  },
});
