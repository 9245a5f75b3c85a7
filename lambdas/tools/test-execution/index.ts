import type { SmokeFlow, SmokeReport, SmokeStep, SmokeStepResult } from '../../shared/smoke-suite';
import { jsonAssertionFailures } from './assertions';
import type { SecretReader } from './secrets';

export { jsonAssertionFailures } from './assertions';
export { type SecretReader, secretsManagerReader } from './secrets';

/**
 * test_execution: runs smoke steps (HTTP requests with expectations) against a target, step by step, and says what
 * passed and why not. Secret header values are read for the run and redacted from every result; redirects are not
 * followed (a step expects what the target answers); the latency is to the response's last byte, and a response
 * slower than the step's ceiling is not waited for.
 */

export interface SmokeTarget {
  /** Scheme, host and port: `https://green.internal.example.com:8443`. */
  readonly baseUrl: string;
  /** Sent with every step, e.g. a header that a listener rule pins to green. */
  readonly extraHeaders?: Readonly<Record<string, string>>;
}

export interface SmokeRunnerOptions {
  readonly secrets: SecretReader;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Milliseconds, monotonic. @default performance.now */
  readonly now?: () => number;
  /** @default the current time */
  readonly clock?: () => Date;
}

export interface SmokeRunner {
  runSuite(steps: readonly SmokeStep[], target: SmokeTarget): Promise<SmokeReport>;
  runStep(step: SmokeStep, target: SmokeTarget): Promise<SmokeStepResult>;
}

const REDACTED = '***';

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => (secret === '' ? result : result.split(secret).join(REDACTED)), text);
}

function describeFailure(error: unknown, ceilingMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no complete response within ${ceilingMs} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `no response (${error instanceof Error ? error.message : String(error)}${cause})`;
}

export function createSmokeRunner(options: SmokeRunnerOptions): SmokeRunner {
  const fetchFn = options.fetch ?? globalThis.fetch;
  const now = options.now ?? (() => performance.now());
  const clock = options.clock ?? (() => new Date());

  async function runStep(step: SmokeStep, target: SmokeTarget): Promise<SmokeStepResult> {
    const secretEntries = await Promise.all(
      Object.entries(step.secretHeaders).map(
        async ([name, reference]) => [name, await options.secrets.read(reference)] as const,
      ),
    );
    const secretValues = secretEntries.map(([, value]) => value);
    const headers: Record<string, string> = {
      ...(step.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...target.extraHeaders,
      ...step.headers,
      ...Object.fromEntries(secretEntries),
    };
    const url = new URL(step.path, target.baseUrl).toString();
    const started = now();
    const failures: string[] = [];
    let status: number | null = null;
    try {
      const response = await fetchFn(url, {
        method: step.method,
        headers,
        ...(step.body === undefined ? {} : { body: JSON.stringify(step.body) }),
        redirect: 'manual',
        signal: AbortSignal.timeout(step.maxLatencyMs),
      });
      const text = await response.text();
      status = response.status;
      const expected = Array.isArray(step.expectedStatus) ? step.expectedStatus : [step.expectedStatus];
      if (!expected.includes(status)) failures.push(`status ${status}, expected ${expected.join(' or ')}`);
      if (step.assertions.length > 0) {
        let body: unknown;
        try {
          body = JSON.parse(text);
          failures.push(...jsonAssertionFailures(body, step.assertions));
        } catch {
          failures.push('the body is not JSON, so its assertions cannot hold');
        }
      }
    } catch (error) {
      failures.push(describeFailure(error, step.maxLatencyMs));
    }
    const latencyMs = Math.round((now() - started) * 1000) / 1000;
    if (status !== null && latencyMs > step.maxLatencyMs) {
      failures.push(`took ${latencyMs} ms, ceiling ${step.maxLatencyMs} ms`);
    }
    return {
      name: step.name,
      flow: step.flow,
      method: step.method,
      path: step.path,
      status,
      latencyMs,
      passed: failures.length === 0,
      failures: failures.map((failure) => redact(failure, secretValues)),
    };
  }

  return {
    runStep,
    async runSuite(steps, target) {
      const startedAt = clock().toISOString();
      const results: SmokeStepResult[] = [];
      // One at a time and in order: CRUD steps build on each other, and the target is production.
      for (const step of steps) results.push(await runStep(step, target));
      const flows: Partial<Record<SmokeFlow, { passed: number; total: number }>> = {};
      for (const result of results) {
        const flow = flows[result.flow] ?? { passed: 0, total: 0 };
        flows[result.flow] = { passed: flow.passed + (result.passed ? 1 : 0), total: flow.total + 1 };
      }
      return {
        target: target.baseUrl,
        startedAt,
        passed: results.every((result) => result.passed),
        steps: results,
        flows,
      };
    },
  };
}
