import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, HttpRequest } from '@smithy/types';
import { CrewError, fromAwsError } from './errors';

/**
 * POSTs JSON to one of the crew's Lambda function URLs (AuthType AWS_IAM), signed with SigV4 for the `lambda`
 * service with the caller's credentials: the function reads the caller's verified IAM identity from the request, so
 * the approver is whoever signed, not whatever the body claims.
 */

export interface FunctionUrlAnswer {
  readonly status: number;
  /** The parsed JSON body; the raw text when it is not JSON. */
  readonly body: unknown;
}

export type FunctionUrlCaller = (url: string, body: unknown) => Promise<FunctionUrlAnswer>;

export interface FunctionUrlCallerOptions {
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** @default globalThis.fetch */
  readonly fetchImpl?: typeof fetch;
  /** The signing time. @default the current time */
  readonly clock?: () => Date;
}

/** `<url-id>.lambda-url.<region>.on.aws`: the region the URL must be signed for. */
export function functionUrlRegion(url: URL): string {
  const match = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/.exec(url.hostname);
  if (match?.[1] === undefined) throw new CrewError('STACK_NOT_FOUND', `not a Lambda function URL: ${url.href}`);
  return match[1];
}

export function createFunctionUrlCaller(options: FunctionUrlCallerOptions): FunctionUrlCaller {
  const fetchImpl = options.fetchImpl ?? fetch;
  return async (href, body) => {
    const url = new URL(href);
    const region = functionUrlRegion(url);
    const signer = new SignatureV4({ credentials: options.credentials, region, service: 'lambda', sha256: Sha256 });
    const payload = JSON.stringify(body);
    const request: HttpRequest = {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: {},
      headers: { host: url.hostname, 'content-type': 'application/json' },
      body: payload,
    };
    let signed: HttpRequest;
    try {
      signed = await signer.sign(request, { signingDate: options.clock?.() ?? new Date() });
    } catch (error) {
      throw fromAwsError(error, region);
    }
    let response: Response;
    try {
      response = await fetchImpl(url, { method: 'POST', headers: signed.headers, body: payload });
    } catch (error) {
      // fetch's TypeError says only "fetch failed"; the reason (DNS, refused, TLS) is its cause.
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const code = (cause as { code?: unknown }).code;
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new CrewError(
        'AWS_ERROR',
        `could not reach ${url.host}: ${typeof code === 'string' ? `${code} ` : ''}${reason}`,
        'check the network (proxy, VPN), then try again',
      );
    }
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's error page): kept as text for the message.
    }
    return { status: response.status, body: parsed };
  };
}
