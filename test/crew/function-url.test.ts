import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { CrewError } from '../../crew/errors';
import { createFunctionUrlCaller, functionUrlRegion } from '../../crew/function-url';
import { APPROVAL_URL, noCredentials } from './support';

/**
 * The approval and rollback URLs use AuthType AWS_IAM: Lambda runs the function only for a request signed with SigV4
 * for the `lambda` service in the URL's region, over the exact body sent. The signature is checked here by an
 * independent SigV4 implementation (node:crypto, checked itself against AWS's published `get-vanilla` vector).
 */

const KEY_ID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN//////////wEaCWV1LXdlc3QtMSJHMEUCIQD';
const SIGNING_TIME = new Date('2026-11-17T09:30:05.123Z');
const ANSWER = { deployment: 'rel-1-4-0-20261117-093005-beef', decision: 'approve', reason: 'looks good' };

const sha256 = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

interface SignedRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  /** Lower-case names; only `signedHeaders` of them are signed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly signedHeaders: readonly string[];
  readonly body: string;
  readonly region: string;
  readonly service: string;
}

/** SigV4 written out from the AWS documentation, independent of @smithy/signature-v4. */
function independentSignature(request: SignedRequest, secret = SECRET): string {
  const amzDate = request.headers['x-amz-date'] ?? '';
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...request.headers, host: request.host };
  const canonicalHeaders = request.signedHeaders.map((name) => `${name}:${(headers[name] ?? '').trim()}\n`).join('');
  const canonicalRequest = [
    request.method,
    request.path,
    '',
    canonicalHeaders,
    request.signedHeaders.join(';'),
    sha256(request.body),
  ].join('\n');
  const scope = `${date}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${secret}`, date);
  for (const part of [request.region, request.service, 'aws4_request']) key = hmac(key, part);
  return hmac(key, stringToSign).toString('hex');
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=(?<credential>[^,]+), SignedHeaders=(?<signedHeaders>[^,]+), Signature=(?<signature>[^,]+)$/;

function parseAuthorization(header: string | undefined) {
  const groups = AUTHORIZATION.exec(header ?? '')?.groups;
  if (groups === undefined) throw new Error(`not a SigV4 Authorization header: ${header}`);
  return {
    credential: groups.credential,
    signedHeaders: (groups.signedHeaders ?? '').split(';'),
    signature: groups.signature ?? '',
  };
}

interface Sent {
  readonly url: string;
  readonly method: string | undefined;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A fetch that records the request and answers `status` with `reply` (JSON unless a string). */
function fakeFetch(status: number, reply: unknown) {
  const sent: Sent[] = [];
  const fetchImpl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push({
      url: String(input),
      method: init?.method,
      headers: { ...(init?.headers as Record<string, string>) },
      body: String(init?.body),
    });
    return new Response(typeof reply === 'string' ? reply : JSON.stringify(reply), { status });
  };
  return { sent, fetchImpl: fetchImpl as typeof fetch };
}

describe('createFunctionUrlCaller', () => {
  it("signs the POST for the lambda service in the URL's region, over the body it sends", async () => {
    // Prepare
    const { sent, fetchImpl } = fakeFetch(200, { kind: 'START' });
    const call = createFunctionUrlCaller({
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
      fetchImpl,
      clock: () => SIGNING_TIME,
    });

    // Act
    const answer = await call(APPROVAL_URL, ANSWER);

    // Assess
    expect(answer).toEqual({ status: 200, body: { kind: 'START' } });
    expect(sent).toHaveLength(1);
    const [request] = sent as [Sent];
    expect([request.url, request.method, request.body]).toEqual([APPROVAL_URL, 'POST', JSON.stringify(ANSWER)]);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['x-amz-date']).toBe('20261117T093005Z');
    expect(request.headers['x-amz-content-sha256']).toBe(sha256(request.body));
    expect(request.headers['x-amz-security-token']).toBeUndefined();
    const authorization = parseAuthorization(request.headers.authorization);
    expect(authorization.credential).toBe('AKIDEXAMPLE/20261117/eu-west-1/lambda/aws4_request');
    expect(authorization.signedHeaders).toEqual(['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date']);
    expect(authorization.signature).toMatch(/^[0-9a-f]{64}$/);
    const expected = independentSignature({
      method: 'POST',
      host: 'approvalurlid.lambda-url.eu-west-1.on.aws',
      path: '/',
      headers: request.headers,
      signedHeaders: authorization.signedHeaders,
      body: request.body,
      region: 'eu-west-1',
      service: 'lambda',
    });
    expect(authorization.signature).toBe(expected);
    // Pinned: computed by hand (node:crypto, the canonical request written out) for these fixed inputs.
    expect(authorization.signature).toBe('26b410192acbdede6bb9b281aad8ad0fead5ab80c261857e36d2b20dad64fe32');
  });

  it('signs the session token of temporary credentials (from a provider, as the SDK chain gives them)', async () => {
    // Prepare
    const { sent, fetchImpl } = fakeFetch(200, {});
    const call = createFunctionUrlCaller({
      credentials: async () => ({ accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: SESSION_TOKEN }),
      fetchImpl,
      clock: () => SIGNING_TIME,
    });

    // Act
    await call('https://rollbackurlid.lambda-url.us-east-2.on.aws/', { deployment: 'rel-1', reason: 'alarm' });

    // Assess
    const [request] = sent as [Sent];
    expect(request.headers['x-amz-security-token']).toBe(SESSION_TOKEN);
    const authorization = parseAuthorization(request.headers.authorization);
    expect(authorization.credential).toBe('AKIDEXAMPLE/20261117/us-east-2/lambda/aws4_request');
    expect(authorization.signedHeaders).toEqual([
      'content-type',
      'host',
      'x-amz-content-sha256',
      'x-amz-date',
      'x-amz-security-token',
    ]);
    expect(authorization.signature).toBe(
      independentSignature({
        method: 'POST',
        host: 'rollbackurlid.lambda-url.us-east-2.on.aws',
        path: '/',
        headers: request.headers,
        signedHeaders: authorization.signedHeaders,
        body: request.body,
        region: 'us-east-2',
        service: 'lambda',
      }),
    );
  });

  it('hands back the status and the body of a refusal, as text when it is not JSON', async () => {
    // Prepare
    const forbidden = fakeFetch(403, { Message: 'Forbidden' });
    const proxyPage = fakeFetch(502, '<html>Bad Gateway</html>');
    const credentials = { accessKeyId: KEY_ID, secretAccessKey: SECRET };

    // Act
    const answers = [
      await createFunctionUrlCaller({ credentials, fetchImpl: forbidden.fetchImpl })(APPROVAL_URL, ANSWER),
      await createFunctionUrlCaller({ credentials, fetchImpl: proxyPage.fetchImpl })(APPROVAL_URL, ANSWER),
    ];

    // Assess
    expect(answers).toEqual([
      { status: 403, body: { Message: 'Forbidden' } },
      { status: 502, body: '<html>Bad Gateway</html>' },
    ]);
  });

  it('sends nothing when the credentials cannot be loaded: NO_CREDENTIALS', async () => {
    // Prepare
    const { sent, fetchImpl } = fakeFetch(200, {});
    const call = createFunctionUrlCaller({
      credentials: async () => {
        throw noCredentials();
      },
      fetchImpl,
    });

    // Act
    const error = await call(APPROVAL_URL, ANSWER).catch((rejected: unknown) => rejected);

    // Assess
    expect(error).toBeInstanceOf(CrewError);
    expect((error as CrewError).code).toBe('NO_CREDENTIALS');
    expect(sent).toEqual([]);
  });

  it('sends nothing to a URL that is not a Lambda function URL', async () => {
    // Prepare
    const { sent, fetchImpl } = fakeFetch(200, {});
    const call = createFunctionUrlCaller({ credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET }, fetchImpl });

    // Act
    const error = await call('https://approval.example.com/', ANSWER).catch((rejected: unknown) => rejected);

    // Assess
    expect(error).toBeInstanceOf(CrewError);
    expect([(error as CrewError).code, (error as CrewError).message]).toEqual([
      'STACK_NOT_FOUND',
      'not a Lambda function URL: https://approval.example.com/',
    ]);
    expect(sent).toEqual([]);
  });
});

describe('functionUrlRegion', () => {
  it('reads the region from <url-id>.lambda-url.<region>.on.aws and nothing else', () => {
    // Act
    const regions = ['https://abc123.lambda-url.eu-west-1.on.aws/', 'https://z9.lambda-url.ap-southeast-2.on.aws/'].map(
      (href) => functionUrlRegion(new URL(href)),
    );
    const others = [
      'https://abc123.lambda-url.eu-west-1.on.aws.evil.example/',
      'https://lambda-url.eu-west-1.on.aws/',
      'https://abc.def.lambda-url.eu-west-1.on.aws/',
    ].map((href) => {
      try {
        return functionUrlRegion(new URL(href));
      } catch (error) {
        return (error as CrewError).code;
      }
    });

    // Assess
    expect(regions).toEqual(['eu-west-1', 'ap-southeast-2']);
    expect(others).toEqual(['STACK_NOT_FOUND', 'STACK_NOT_FOUND', 'STACK_NOT_FOUND']);
  });
});

interface Received {
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A real HTTP server on 127.0.0.1 that records each request and answers `status` with `reply`. */
async function localServer(status: number, reply: unknown) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method,
        path: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The caller only signs for `*.lambda-url.<region>.on.aws` hosts, which do not resolve here: the real fetch is given
 * the function URL and connects to the local server instead (the request line, headers and body are the real ones).
 */
function fetchVia(origin: string, asked: string[]): typeof fetch {
  return async (input, init) => {
    asked.push(String(input));
    const url = new URL(String(input));
    return fetch(`${origin}${url.pathname}${url.search}`, init);
  };
}

describe('createFunctionUrlCaller over a real HTTP connection', () => {
  it('puts on the wire the body and headers it signed', async () => {
    // Prepare
    const server = await localServer(200, { deployment: ANSWER.deployment, kind: 'START' });
    const asked: string[] = [];
    const call = createFunctionUrlCaller({
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: SESSION_TOKEN },
      fetchImpl: fetchVia(server.origin, asked),
      clock: () => SIGNING_TIME,
    });

    try {
      // Act
      const answer = await call(APPROVAL_URL, ANSWER);

      // Assess
      expect(answer).toEqual({ status: 200, body: { deployment: ANSWER.deployment, kind: 'START' } });
      expect(asked).toEqual([APPROVAL_URL]);
      expect(server.received).toHaveLength(1);
      const [request] = server.received as [Received];
      expect([request.method, request.path, request.body]).toEqual(['POST', '/', JSON.stringify(ANSWER)]);
      expect(request.headers['content-length']).toBe(String(Buffer.byteLength(request.body)));
      const authorization = parseAuthorization(request.headers.authorization);
      expect(authorization.credential).toBe('AKIDEXAMPLE/20261117/eu-west-1/lambda/aws4_request');
      // Lambda checks the signature over what arrives, with the function URL's host (fetch sends the URL's host).
      const wire = Object.fromEntries(
        Object.entries(request.headers).flatMap(([name, value]) => (typeof value === 'string' ? [[name, value]] : [])),
      );
      expect(authorization.signature).toBe(
        independentSignature({
          method: request.method ?? '',
          host: new URL(APPROVAL_URL).host,
          path: request.path ?? '',
          headers: wire,
          signedHeaders: authorization.signedHeaders,
          body: request.body,
          region: 'eu-west-1',
          service: 'lambda',
        }),
      );
    } finally {
      await server.close();
    }
  });

  it('says which URL it could not reach and why, as an AWS error, when the connection fails', async () => {
    // Prepare: a port nothing listens on any more.
    const server = await localServer(200, {});
    await server.close();
    const call = createFunctionUrlCaller({
      credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
      fetchImpl: fetchVia(server.origin, []),
    });

    // Act
    const error = await call(APPROVAL_URL, ANSWER).catch((rejected: unknown) => rejected);

    // Assess
    expect(error).toBeInstanceOf(CrewError);
    expect((error as CrewError).code).toBe('AWS_ERROR');
    expect((error as CrewError).message).toContain('approvalurlid.lambda-url.eu-west-1.on.aws');
    expect((error as CrewError).message).toContain('ECONNREFUSED');
  });
});

describe('independentSignature', () => {
  it("reproduces AWS's SigV4 test suite vector get-vanilla", () => {
    // Act
    const signature = independentSignature({
      method: 'GET',
      host: 'example.amazonaws.com',
      path: '/',
      headers: { 'x-amz-date': '20150830T123600Z' },
      signedHeaders: ['host', 'x-amz-date'],
      body: '',
      region: 'us-east-1',
      service: 'service',
    });

    // Assess
    expect(signature).toBe('5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });
});
