import { createRequire } from 'node:module';
import { afterAll, vi } from 'vitest';

/**
 * Setup of the files that share a worker process (vitest.config.ts, `isolate: false`): vitest runs it before each
 * of them, to give the file what it had when it had the process to itself.
 */

// The project's own modules load afresh for this file: a handler reads its environment and builds its SDK clients
// when its module loads, a support module builds its mocks. node_modules stay loaded: that is what sharing saves.
vi.resetModules();

// process.env as this file found it comes back when the file ends, whatever the file set or stubbed.
const environment = { ...process.env };

/** aws-sdk-client-mock puts its stubs of Client#send in sinon's default sandbox: the sinon it requires itself. */
const clientMockSinon = createRequire(createRequire(import.meta.url).resolve('aws-sdk-client-mock'))('sinon') as {
  restore(): void;
};

afterAll(() => {
  // A mocked SDK client class must not answer the next file, which may use the real one (dynalite, the simulation).
  clientMockSinon.restore();
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  for (const name of Object.keys(process.env)) {
    if (!Object.hasOwn(environment, name)) delete process.env[name];
  }
  Object.assign(process.env, environment);
});
