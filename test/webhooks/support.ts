// Test helpers for the webhook part: a loopback receiver whose behaviour each test scripts per path, and a
// job row factory. Every webhook in these tests points at 127.0.0.1.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { JobRecord } from '../../shared/job.js';
import { newJobId } from '../../shared/ids.js';

export interface ReceivedHook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
}

export type Behaviour = (request: ReceivedHook, countOnPath: number) => Reply;

export interface Receiver {
  url(path: string): string;
  /** Scripts the replies on one path (default 200). */
  on(path: string, behaviour: Behaviour): void;
  received(path: string): ReceivedHook[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const behaviours = new Map<string, Behaviour>();
  const accept: Behaviour = () => ({ status: 200 });
  const log: ReceivedHook[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '/';
      const hook = { path, headers: req.headers, body, at: Date.now() };
      log.push(hook);
      const count = log.filter((h) => h.path === path).length;
      const reply = (behaviours.get(path) ?? accept)(hook, count);
      res.writeHead(reply.status, reply.headers).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver has no TCP address');
  const port = address.port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    on: (path, behaviour) => behaviours.set(path, behaviour),
    received: (path) => log.filter((h) => h.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function makeJob(tenant: string, webhookUrl: string | null, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: newJobId(),
    tenant,
    model: 'nexus-mini@1.0.0',
    status: 'succeeded',
    createdAt: '2026-01-01T00:00:00.000Z',
    startedAt: '2026-01-01T00:00:01.000Z',
    completedAt: '2026-01-01T00:00:02.000Z',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Draw a red circle.' }] }],
    output: { modalities: null, format: 'png', n: 1 },
    params: { seed: 7, temperature: 0, topP: 1, maxTokens: 64 },
    webhook: webhookUrl === null ? null : { url: webhookUrl, events: ['job.succeeded', 'job.failed', 'job.canceled', 'job.expired'] },
    metadata: { order: 'A-17' },
    progress: null,
    result: { text: 'A red circle.', images: [] },
    error: null,
    usage: { inputTokens: 5, outputTokens: 4, images: 0, computeMs: 12, billable: true, costUsdMicros: 3, priceVersion: '2026-12-01' },
    cancelRequested: false,
    eventSequence: 0,
    deadline: '2026-01-01T01:00:00.000Z',
    ...overrides,
  };
}

export { waitFor } from '../support/wait.js';
