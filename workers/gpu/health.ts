// The worker's health as a state, served on a small HTTP port for the container's checks.
import { createServer, type Server } from 'node:http';

export const HEALTH_STATES = ['starting', 'ready', 'busy', 'draining', 'failed'] as const;
export type HealthState = (typeof HEALTH_STATES)[number];

export interface HealthSnapshot {
  status: HealthState;
  model: string | null;
  inFlight: number;
  jobsDone: number;
  reason: string | null;
}

export interface Health {
  snapshot(): HealthSnapshot;
  set(state: HealthState, reason?: string): void;
  setModel(model: string): void;
  setInFlight(count: number): void;
  jobDone(): void;
}

export function createHealth(): Health {
  const state: HealthSnapshot = { status: 'starting', model: null, inFlight: 0, jobsDone: 0, reason: null };
  return {
    snapshot: () => ({ ...state }),
    set(next, reason) {
      // failed and draining are one-way: a late "ready" from the loop must not hide them.
      if (state.status === 'failed') return;
      if (state.status === 'draining' && next !== 'failed') return;
      state.status = next;
      state.reason = reason ?? null;
    },
    setModel(model) {
      state.model = model;
    },
    setInFlight(count) {
      state.inFlight = count;
      if (state.status === 'ready' || state.status === 'busy') state.status = count > 0 ? 'busy' : 'ready';
    },
    jobDone() {
      state.jobsDone += 1;
    },
  };
}

/** Wire form (snake_case). */
export function healthBody(snapshot: HealthSnapshot): Record<string, unknown> {
  return {
    status: snapshot.status,
    model: snapshot.model,
    in_flight: snapshot.inFlight,
    jobs_done: snapshot.jobsDone,
    reason: snapshot.reason,
  };
}

/** ready, busy and draining answer 200 (alive, keep it); starting and failed answer 503. */
export function healthStatusCode(state: HealthState): number {
  return state === 'ready' || state === 'busy' || state === 'draining' ? 200 : 503;
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

export async function startHealthServer(health: Health, options: { port: number; host: string }): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url !== '/health' && request.url !== '/')) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    const snapshot = health.snapshot();
    response.writeHead(healthStatusCode(snapshot.status), { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(healthBody(snapshot)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
