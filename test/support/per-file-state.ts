import { createRequire } from 'node:module';
import { afterAll, vi } from 'vitest';

/**
 * Setup of the files that share a worker process (vitest.config.ts, `isolate: false`): vitest runs it before each
 * of them, to give the file what it had when it had the process to itself.
 */

/** aws-sdk-client-mock puts its stubs of Client#send in sinon's default sandbox: the sinon it requires itself. */
const clientMockSinon = createRequire(createRequire(import.meta.url).resolve('aws-sdk-client-mock'))('sinon') as {
  restore(): void;
};

/**
 * What a file may leave behind, undone: SDK client stubs (the next file may use the real client: dynalite, the
 * simulation), fake timers, stubbed env and globals. Run when the file ends, and before it starts too: a file that
 * failed while loading never ran its afterAll.
 */
function undoLeftovers(): void {
  clientMockSinon.restore();
  vi.useRealTimers();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
}

/** process.env as the worker's first file found it (this module runs again for every file; the global stays). */
const WORKER_ENV = Symbol.for('deployment-crew.test.worker-env');
const globals = globalThis as { [WORKER_ENV]?: Readonly<Record<string, string | undefined>> };
globals[WORKER_ENV] ??= { ...process.env };
const environment = globals[WORKER_ENV];

/** Puts process.env back as the worker found it, whatever a file set or stubbed. */
function restoreEnvironment(): void {
  for (const name of Object.keys(process.env)) {
    if (!Object.hasOwn(environment, name)) delete process.env[name];
  }
  Object.assign(process.env, environment);
}

undoLeftovers();
restoreEnvironment();

// The project's own modules load afresh for this file: a handler reads its environment and builds its SDK clients
// when its module loads, a support module builds its mocks. node_modules stay loaded: that is what sharing saves.
vi.resetModules();

afterAll(() => {
  undoLeftovers();
  restoreEnvironment();
});
