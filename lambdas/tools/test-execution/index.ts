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

/** A secret must be at least this long to be searched for (shorter ones would blank out ordinary words). */
const MIN_REDACTED_LENGTH = 4;

/**
 * Every form in which a secret can show up in a failure: as is, JSON-escaped (a body echoing it), and trimmed (an
 * invalid header value is quoted trimmed); longest first, so a form inside another is not left half replaced.
 */
function secretForms(secrets: readonly string[]): string[] {
  const forms = secrets.flatMap((secret) =>
    [secret, secret.trim()].flatMap((form) => [form, JSON.stringify(form).slice(1, -1)]),
  );
  return [...new Set(forms)].filter((form) => form.length >= MIN_REDACTED_LENGTH).sort((a, b) => b.length - a.length);
}

function redact(text: string, forms: readonly string[]): string {
  return forms.reduce((result, form) => result.split(form).join(REDACTED), text);
}

function describeFailure(error: unknown, ceilingMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no complete response within ${ceilingMs} ms`;
  }
  // The message of a header that cannot be sent quotes its value, which may be a secret.
  if (error instanceof TypeError && /header/i.test(error.message)) {
    return 'the request could not be sent: a header value is invalid';
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `no response (${error instanceof Error ? error.message : String(error)}${cause})`;
}

function resultOf(step: SmokeStep, status: number | null, latencyMs: number, failures: string[]): SmokeStepResult {
  return {
    name: step.name,
    flow: step.flow,
    method: step.method,
    path: step.path,
    status,
    latencyMs,
    passed: failures.length === 0,
    failures,
  };
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
    const forms = secretForms(secretEntries.map(([, value]) => value));
    const headers: Record<string, string> = {
      ...(step.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...target.extraHeaders,
      ...step.headers,
      ...Object.fromEntries(secretEntries),
    };
    const url = new URL(step.path, target.baseUrl);
    const started = now();
    const failures: string[] = [];
    let status: number | null = null;
    // `//host/x` and `/\\host/x` are paths that resolve to another host: the step's headers (secrets) would go there.
    if (url.origin !== new URL(target.baseUrl).origin) {
      failures.push(
        `the step's path leaves the target (${url.origin} is not ${new URL(target.baseUrl).origin}): not sent`,
      );
      return resultOf(step, status, 0, failures);
    }
    try {
      const response = await fetchFn(url.toString(), {
        method: step.method,
        headers,
        ...(step.body === undefined ? {} : { body: JSON.stringify(step.body) }),
        redirect: 'manual',
        signal: AbortSignal.timeout(step.maxLatencyMs),
      });
      // A body that echoes a secret is redacted before anything reads it.
      const text = redact(await response.text(), forms);
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
    return resultOf(
      step,
      status,
      latencyMs,
      failures.map((failure) => redact(failure, forms)),
    );
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
