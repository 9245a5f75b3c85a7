import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkHttp, HEALTH_CHECK_USER_AGENT } from '../../lambdas/tools/health-check';

/** A real HTTP server on 127.0.0.1 whose behaviour depends on the path. */
function startServer(): Promise<{
  server: Server;
  baseUrl: string;
  requests: { path: string; headers: IncomingHttpHeaders }[];
}> {
  const requests: { path: string; headers: IncomingHttpHeaders }[] = [];
  const failuresLeft = new Map<string, number>();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname, headers: request.headers });
    const [, route, argument] = url.pathname.split('/');
    switch (route) {
      case 'status':
        response.writeHead(Number(argument)).end('status');
        return;
      case 'delay':
        setTimeout(() => {
          if (!response.destroyed) response.writeHead(200).end('late');
        }, Number(argument));
        return;
      case 'flaky': {
        // /flaky/<key>?fail=N: the first N requests for <key> answer 503, then 200.
        const key = argument ?? '';
        const left = failuresLeft.get(key) ?? Number(url.searchParams.get('fail'));
        failuresLeft.set(key, left - 1);
        response.writeHead(left > 0 ? 503 : 200).end();
        return;
      }
      case 'redirect':
        response.writeHead(302, { location: '/status/200' }).end();
        return;
      default:
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, baseUrl: `http://127.0.0.1:${port}`, requests });
    });
  });
}

/** A port on 127.0.0.1 that nothing listens on: bind one, then close it. */
async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/health`;
}

const fast = { retries: 0, minBackoffMs: 1 };

describe('checkHttp against a local HTTP server', () => {
  let server: Server;
  let baseUrl: string;
  let requests: { path: string; headers: IncomingHttpHeaders }[];

  beforeAll(async () => {
    ({ server, baseUrl, requests } = await startServer());
  });

  beforeEach(() => {
    requests.length = 0;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reports UP with the status, one attempt and a measured latency when the expected status comes back', async () => {
    // Prepare
    const target = { name: 'api', url: `${baseUrl}/health`, expectedStatus: 200, timeoutMs: 1000 };

    // Act
    const result = await checkHttp(target, fast);

    // Assess
    expect(result).toEqual({
      ok: true,
      httpStatus: 200,
      latencyMs: expect.any(Number),
      attemptLatenciesMs: [result.latencyMs],
      attempts: 1,
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.latencyMs).toBeLessThan(1000);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers['user-agent']).toBe(HEALTH_CHECK_USER_AGENT);
  });

  it('measures the latency of a slow but successful response', async () => {
    // Prepare
    const target = { name: 'slow', url: `${baseUrl}/delay/120`, expectedStatus: 200, timeoutMs: 2000 };

    // Act
    const result = await checkHttp(target, fast);

    // Assess
    expect(result.ok).toBe(true);
    expect(result.latencyMs).toBeGreaterThanOrEqual(110);
    expect(result.latencyMs).toBeLessThan(2000);
  });

  it('fails on a status other than the expected one, naming both', async () => {
    // Prepare
    const target = { name: 'api', url: `${baseUrl}/status/503`, expectedStatus: 200, timeoutMs: 1000 };

    // Act
    const result = await checkHttp(target, fast);

    // Assess
    expect(result).toMatchObject({ ok: false, httpStatus: 503, attempts: 1, error: 'HTTP 503, expected 200' });
  });

  it('accepts a non-200 status when that is the expected one', async () => {
    // Prepare
    const target = { name: 'teapot', url: `${baseUrl}/status/418`, expectedStatus: 418, timeoutMs: 1000 };

    // Act
    const result = await checkHttp(target, fast);

    // Assess
    expect(result).toMatchObject({ ok: true, httpStatus: 418 });
    expect(result.error).toBeUndefined();
  });

  it('does not follow redirects: a 302 is a failed check', async () => {
    // Prepare
    const target = { name: 'moved', url: `${baseUrl}/redirect`, expectedStatus: 200, timeoutMs: 1000 };

    // Act
    const result = await checkHttp(target, fast);

    // Assess
    expect(result).toMatchObject({ ok: false, httpStatus: 302, error: 'HTTP 302, expected 200' });
    expect(requests.map((request) => request.path)).toEqual(['/redirect']);
  });

  it('times out an attempt after timeoutMs with no HTTP status', async () => {
    // Prepare
    const target = { name: 'hung', url: `${baseUrl}/delay/3000`, expectedStatus: 200, timeoutMs: 150 };

    // Act
    const result = await checkHttp(target, fast);

    // Assess
    expect(result).toMatchObject({ ok: false, httpStatus: null, attempts: 1, error: 'timed out after 150 ms' });
    expect(result.latencyMs).toBeGreaterThanOrEqual(140);
    expect(result.latencyMs).toBeLessThan(1500);
  });

  it('retries failed attempts and succeeds when the server recovers', async () => {
    // Prepare
    const target = { name: 'flaky', url: `${baseUrl}/flaky/recovers?fail=2`, expectedStatus: 200, timeoutMs: 1000 };

    // Act
    const result = await checkHttp(target, { retries: 2, minBackoffMs: 5 });

    // Assess
    expect(result).toMatchObject({ ok: true, httpStatus: 200, attempts: 3 });
    expect(result.attemptLatenciesMs).toHaveLength(3);
    expect(result.error).toBeUndefined();
    expect(requests).toHaveLength(3);
  });

  it('gives up after `retries` extra attempts and reports the last failure', async () => {
    // Prepare
    const target = { name: 'flaky', url: `${baseUrl}/flaky/stays-down?fail=10`, expectedStatus: 200, timeoutMs: 1000 };

    // Act
    const result = await checkHttp(target, { retries: 2, minBackoffMs: 5 });

    // Assess
    expect(result).toMatchObject({ ok: false, httpStatus: 503, attempts: 3, error: 'HTTP 503, expected 200' });
    expect(requests).toHaveLength(3);
  });

  it('retries a timeout too', async () => {
    // Prepare
    const target = { name: 'hung', url: `${baseUrl}/delay/3000`, expectedStatus: 200, timeoutMs: 80 };

    // Act
    const result = await checkHttp(target, { retries: 1, minBackoffMs: 5 });

    // Assess
    expect(result).toMatchObject({ ok: false, httpStatus: null, attempts: 2, error: 'timed out after 80 ms' });
    expect(result.attemptLatenciesMs).toHaveLength(2);
  });
});

describe('checkHttp without a server', () => {
  it('reports a refused connection with no HTTP status, after every retry', async () => {
    // Prepare
    const target = { name: 'gone', url: await closedPortUrl(), expectedStatus: 200, timeoutMs: 1000 };

    // Act
    const result = await checkHttp(target, { retries: 1, minBackoffMs: 5 });

    // Assess
    expect(result).toMatchObject({ ok: false, httpStatus: null, attempts: 2 });
    expect(result.error).toMatch(/ECONNREFUSED/);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('uses the injected fetch with GET, manual redirects, the user agent and a timeout signal', async () => {
    // Prepare
    const calls: { url: string; init: RequestInit }[] = [];
    const fetchImpl = async (url: string, init: RequestInit) => {
      calls.push({ url, init });
      return new Response(null, { status: 204 });
    };
    const target = { name: 'fake', url: 'http://example.invalid/health', expectedStatus: 204, timeoutMs: 500 };

    // Act
    const result = await checkHttp(target, { ...fast, fetchImpl });

    // Assess
    expect(result.ok).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toBe('http://example.invalid/health');
    expect(calls[0]?.init).toMatchObject({ method: 'GET', redirect: 'manual' });
    expect(new Headers(calls[0]?.init.headers).get('user-agent')).toBe(HEALTH_CHECK_USER_AGENT);
    expect(calls[0]?.init.signal).toBeInstanceOf(AbortSignal);
  });
});
