// Node entry: serves the same app over HTTP. The only API file allowed Node-specific imports.
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApp, type ApiDeps } from './app.js';

export interface ApiServerOptions {
  deps: ApiDeps;
  /** 0 picks a free port. */
  port: number;
  host?: string;
}

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  // A long-lived process can batch its rate-counter writes (see middleware/rate-limit.ts), at most ten a
  // second per tenant: other instances' counts are then learnt within 100 ms plus a round trip.
  const app = createApp({ ...options.deps, settings: { rateLimitMode: 'batched', rateFlushIntervalMs: 100, eventsMaxSeconds: 600, ...options.deps.settings } });
  const host = options.host ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    // The listen callback runs after serve() returns, so `server` is initialised by then.
    const server: ServerType = serve({ fetch: app.fetch, port: options.port, hostname: host }, (info: AddressInfo) => {
      server.off('error', onError);
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${urlHost}:${info.port}`,
        port: info.port,
        close: () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
    server.once('error', onError);
  });
}
