import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20000,
    // The agents log as on Lambda; tests that look at the logs set their own level.
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
  },
});
