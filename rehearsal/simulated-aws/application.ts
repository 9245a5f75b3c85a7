import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The application behind the simulated load balancer, as real HTTP on localhost: the production listener (which
 * side answers follows the listener's weights, read at each request) and the test listener (green only). The smoke
 * runner and the prober send real requests here; how each side behaves is set by the test, and may change mid-bake.
 */

/** `ok`: answers the shop's API; `failing`: 500 on every route; `down`: accepts and drops the connection. */
export type SideBehaviour = 'ok' | 'failing' | 'down';

export interface ApplicationSides {
  blue: SideBehaviour;
  green: SideBehaviour;
}

/** The weights as the listener has them now: green's share of production's requests, in percent. */
export type GreenShare = () => number;

export class SimulatedApplication {
  readonly sides: ApplicationSides = { blue: 'ok', green: 'ok' };
  /** `<listener> <side> <method> <path>` per request, in order. */
  readonly requests: string[] = [];
  private production: Server | undefined;
  private testListener: Server | undefined;
  private productionUrlValue = '';
  private testListenerUrlValue = '';
  /** Deterministic weighted routing: green answers while its running share is below its weight. */
  private productionRequests = 0;
  private greenServed = 0;

  constructor(private readonly greenShare: GreenShare) {}

  get productionUrl(): string {
    return this.productionUrlValue;
  }

  get testListenerUrl(): string {
    return this.testListenerUrlValue;
  }

  async start(): Promise<void> {
    this.production = await listen((request, response) =>
      this.serve('production', this.routeProduction(), request, response),
    );
    this.testListener = await listen((request, response) => this.serve('test', 'green', request, response));
    this.productionUrlValue = urlOf(this.production);
    this.testListenerUrlValue = urlOf(this.testListener);
  }

  async stop(): Promise<void> {
    await Promise.all([this.production, this.testListener].map((server) => (server ? close(server) : undefined)));
  }

  private routeProduction(): 'blue' | 'green' {
    const weight = this.greenShare();
    this.productionRequests += 1;
    const green = this.greenServed < (weight / 100) * this.productionRequests;
    if (green) this.greenServed += 1;
    return green ? 'green' : 'blue';
  }

  private serve(listener: string, side: 'blue' | 'green', request: IncomingMessage, response: ServerResponse): void {
    this.requests.push(`${listener} ${side} ${request.method} ${request.url}`);
    const behaviour = this.sides[side];
    if (behaviour === 'down') {
      request.socket.destroy();
      return;
    }
    if (behaviour === 'failing') {
      respond(response, 500, { error: 'internal error' });
      return;
    }
    const route = `${request.method} ${request.url}`;
    if (route === 'POST /api/auth/login') respond(response, 200, { token: `token-from-${side}` });
    else if (route === 'GET /api/products') respond(response, 200, { items: [{ id: 1, name: 'mug' }], side });
    else if (route === 'GET /api/health/dependencies') respond(response, 200, { status: 'ok', database: 'ok' });
    else respond(response, 404, { error: `no route ${route}` });
  }
}

/** The suite the simulated application answers: one step per flow, the CRUD and integration steps as probes. */
export const APPLICATION_SUITE = [
  {
    name: 'login',
    flow: 'authentication',
    method: 'POST',
    path: '/api/auth/login',
    body: { user: 'smoke' },
    assertions: [{ path: '$.token', exists: true }],
  },
  { name: 'list products', flow: 'crud', path: '/api/products', probe: true, maxLatencyMs: 2_000 },
  { name: 'dependencies', flow: 'integrations', path: '/api/health/dependencies', probe: true, maxLatencyMs: 2_000 },
] as const;

function respond(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((request, response) => {
      // The body is read (and ignored) so that a POST completes before the answer.
      request.resume();
      request.on('end', () => handler(request, response));
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function urlOf(server: Server): string {
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
