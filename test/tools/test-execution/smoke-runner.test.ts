import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SmokeStepInput, smokeStepSchema, smokeSuiteSchema } from '../../../lambdas/shared/smoke-suite';
import { createSmokeRunner, type SecretReader } from '../../../lambdas/tools/test-execution';

/** A small application: the test talks to it over real HTTP. */
const API_TOKEN = 's3cr3t-token-value';
let server: Server;
let baseUrl: string;
const seenHeaders: Record<string, string | string[] | undefined>[] = [];

function send(response: ServerResponse, status: number, body: unknown, contentType = 'application/json') {
  response.writeHead(status, { 'content-type': contentType });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

beforeAll(async () => {
  server = createServer(async (request, response) => {
    seenHeaders.push(request.headers);
    const url = new URL(request.url ?? '/', 'http://local');
    if (url.pathname === '/health') return send(response, 200, { status: 'ok', version: '1.4.0' });
    if (url.pathname === '/login') {
      return request.headers.authorization === `Bearer ${API_TOKEN}`
        ? send(response, 200, { token: 'session-1', user: { id: 42 } })
        : send(response, 401, { error: 'unauthorized' });
    }
    if (url.pathname === '/echo-auth') return send(response, 200, { authorization: request.headers.authorization });
    if (url.pathname === '/items' && request.method === 'POST') {
      return send(response, 201, { created: JSON.parse(await bodyOf(request)) });
    }
    if (url.pathname === '/slow') {
      setTimeout(() => send(response, 200, { slow: true }), 400);
      return;
    }
    if (url.pathname === '/moved') {
      response.writeHead(302, { location: '/health' });
      return response.end();
    }
    if (url.pathname === '/text') return send(response, 200, 'plain words', 'text/plain');
    return send(response, 500, { error: 'boom' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const secrets: SecretReader = { read: async () => API_TOKEN };
const runner = createSmokeRunner({ secrets });
const step = (input: SmokeStepInput) => v.parse(smokeStepSchema, input);

describe('smoke runner against a real HTTP server', () => {
  it('runs the flows in order and passes a healthy application', async () => {
    // Prepare
    const suite = v.parse(smokeSuiteSchema, [
      { name: 'health', flow: 'integrations', path: '/health', assertions: [{ path: '$.status', equals: 'ok' }] },
      {
        name: 'login',
        flow: 'authentication',
        method: 'POST',
        path: '/login',
        secretHeaders: { authorization: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api' } },
        assertions: [
          { path: '$.user.id', equals: 42 },
          { path: '$.token', matches: '^session-' },
        ],
      },
      {
        name: 'create item',
        flow: 'crud',
        method: 'POST',
        path: '/items',
        body: { name: 'smoke' },
        expectedStatus: 201,
        assertions: [{ path: '$.created.name', equals: 'smoke' }],
      },
    ]);
    const withBearer: SecretReader = { read: async () => `Bearer ${API_TOKEN}` };

    // Act
    const report = await createSmokeRunner({ secrets: withBearer }).runSuite(suite, { baseUrl });

    // Assess
    expect(report.steps.map((result) => [result.name, result.status, result.failures])).toEqual([
      ['health', 200, []],
      ['login', 200, []],
      ['create item', 201, []],
    ]);
    expect(report).toMatchObject({
      passed: true,
      target: baseUrl,
      flows: {
        integrations: { passed: 1, total: 1 },
        authentication: { passed: 1, total: 1 },
        crud: { passed: 1, total: 1 },
      },
    });
  });

  it.each<[string, SmokeStepInput, string]>([
    ['an unexpected status', { name: 's', flow: 'crud', path: '/nowhere' }, 'status 500, expected 200'],
    [
      'a value that differs',
      { name: 's', flow: 'crud', path: '/health', assertions: [{ path: '$.version', equals: '2.0.0' }] },
      '$.version: expected "2.0.0", got "1.4.0"',
    ],
    [
      'a path that finds nothing',
      { name: 's', flow: 'crud', path: '/health', assertions: [{ path: '$.missing', exists: true }] },
      '$.missing: expected a value, found 0',
    ],
    [
      'a value that does not match',
      { name: 's', flow: 'crud', path: '/health', assertions: [{ path: '$.status', matches: '^down$' }] },
      '$.status: expected to match /^down$/, got "ok"',
    ],
    [
      'a body that is not JSON',
      { name: 's', flow: 'crud', path: '/text', assertions: [{ path: '$.a', exists: true }] },
      'the body is not JSON',
    ],
    ['a redirect (not followed)', { name: 's', flow: 'crud', path: '/moved' }, 'status 302, expected 200'],
    [
      'a response slower than its ceiling',
      { name: 's', flow: 'crud', path: '/slow', maxLatencyMs: 100 },
      'no complete response within 100 ms',
    ],
  ])('fails a step on %s, saying why', async (_, input, failure) => {
    // Prepare
    const smoke = step(input);

    // Act
    const result = await runner.runStep(smoke, { baseUrl });

    // Assess
    expect(result.passed).toBe(false);
    expect(result.failures.join('\n')).toContain(failure);
  });

  it('sends the secret header and never shows its value, even when the application echoes it back', async () => {
    // Prepare
    const smoke = step({
      name: 'echo',
      flow: 'authentication',
      path: '/echo-auth',
      secretHeaders: { authorization: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api' } },
      assertions: [{ path: '$.authorization', equals: 'something else' }],
    });

    // Act
    const result = await runner.runStep(smoke, { baseUrl });

    // Assess
    expect(seenHeaders.at(-1)?.authorization).toBe(API_TOKEN);
    expect(result.passed).toBe(false);
    expect(JSON.stringify(result)).not.toContain(API_TOKEN);
    expect(result.failures.join('\n')).toContain('got "***"');
  });

  it('never sends a step (nor its secrets) to another origin than the target, whatever its path says', async () => {
    // Prepare
    const elsewhere: string[] = [];
    const evil = createServer((request, response) => {
      elsewhere.push(String(request.headers.authorization));
      response.end('{}');
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilPort = (evil.address() as AddressInfo).port;

    // Act
    const results = await Promise.all(
      [`//127.0.0.1:${evilPort}/steal`, `/\\127.0.0.1:${evilPort}/steal`].map((path) =>
        runner.runStep(
          // Past the schema (which refuses these paths too): the runner checks the resolved origin itself.
          {
            ...step({
              name: 'leak',
              flow: 'authentication',
              path: '/placeholder',
              secretHeaders: {
                authorization: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api' },
              },
            }),
            path,
          },
          { baseUrl },
        ),
      ),
    );
    evil.closeAllConnections();
    await new Promise<void>((resolve) => evil.close(() => resolve()));

    // Assess
    expect(elsewhere).toEqual([]);
    for (const result of results) {
      expect(result.passed).toBe(false);
      expect(result.failures.join()).toContain('leaves the target');
    }
  });

  it.each([
    ['with a quote and a backslash', 'pa"ss\\word-123'],
    ['longer than what a failure shows', `eyJ${'x'.repeat(300)}`],
  ])('never shows a secret %s, even escaped or cut short in a failure', async (_, secret) => {
    // Prepare
    const echoing = createSmokeRunner({ secrets: { read: async () => secret } });
    const smoke = step({
      name: 'echo',
      flow: 'authentication',
      path: '/echo-auth',
      secretHeaders: { authorization: { secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api' } },
      assertions: [{ path: '$.authorization', equals: 'something else' }],
    });

    // Act
    const result = await echoing.runStep(smoke, { baseUrl });

    // Assess
    const text = result.failures.join('\n');
    expect(result.passed).toBe(false);
    expect(text).not.toContain(secret);
    expect(text).not.toContain(JSON.stringify(secret).slice(1, -1));
    expect(text).not.toContain(secret.slice(0, 32));
  });

  it('adds the target headers (a header a listener rule pins to green), the step winning on a clash', async () => {
    // Prepare
    const smoke = step({ name: 'health', flow: 'integrations', path: '/health', headers: { 'x-crew': 'step' } });

    // Act
    await runner.runStep(smoke, { baseUrl, extraHeaders: { 'x-deployment-side': 'green', 'x-crew': 'target' } });

    // Assess
    expect(seenHeaders.at(-1)).toMatchObject({ 'x-deployment-side': 'green', 'x-crew': 'step' });
  });

  it('reports a target that does not answer at all', async () => {
    // Prepare
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));

    // Act
    const result = await runner.runStep(step({ name: 'health', flow: 'integrations', path: '/health' }), {
      baseUrl: deadUrl,
    });

    // Assess
    expect(result).toMatchObject({ status: null, passed: false });
    expect(result.failures[0]).toMatch(/^no response \(/);
  });
});

describe('smoke suite schema', () => {
  it.each<[string, unknown]>([
    ['no steps', []],
    [
      'two steps with one name',
      [
        { name: 'a', flow: 'crud', path: '/a' },
        { name: 'a', flow: 'crud', path: '/b' },
      ],
    ],
    ['an assertion that checks nothing', [{ name: 'a', flow: 'crud', path: '/a', assertions: [{ path: '$.x' }] }]],
    ['a path without a leading slash', [{ name: 'a', flow: 'crud', path: 'a' }]],
    ['a path to another host', [{ name: 'a', flow: 'crud', path: '//evil.example/x' }]],
    ['a path to another host, backslashed', [{ name: 'a', flow: 'crud', path: '/\\evil.example/x' }]],
    [
      'a secret header without an ARN',
      [{ name: 'a', flow: 'crud', path: '/a', secretHeaders: { h: { secretArn: 'x' } } }],
    ],
  ])('refuses %s', (_, suite) => {
    // Prepare
    // Act
    const parsed = v.safeParse(smokeSuiteSchema, suite);

    // Assess
    expect(parsed.success).toBe(false);
  });
});
