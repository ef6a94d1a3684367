import { afterEach, describe, expect, it } from 'vitest';
import { createHealth, startHealthServer, type HealthServer } from './health.js';

let server: HealthServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

async function get(port: number): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: response.status, body: await response.json() };
}

describe('health server', () => {
  it('serves the state: 503 while starting, 200 ready/busy/draining, 503 failed', async () => {
    const health = createHealth();
    server = await startHealthServer(health, { port: 0, host: '127.0.0.1' });
    expect(await get(server.port)).toEqual({
      status: 503,
      body: { status: 'starting', model: null, in_flight: 0, jobs_done: 0, reason: null },
    });
    health.setModel('nexus-mini@1.0.0');
    health.set('ready');
    expect(await get(server.port)).toMatchObject({ status: 200, body: { status: 'ready', model: 'nexus-mini@1.0.0' } });
    health.setInFlight(3);
    expect(await get(server.port)).toMatchObject({ status: 200, body: { status: 'busy', in_flight: 3 } });
    health.setInFlight(0);
    health.jobDone();
    expect(await get(server.port)).toMatchObject({ status: 200, body: { status: 'ready', jobs_done: 1 } });
    health.set('draining');
    health.set('ready');
    health.setInFlight(1);
    expect(await get(server.port)).toMatchObject({ status: 200, body: { status: 'draining' } });
    health.set('failed', 'bundle checksum mismatch');
    expect(await get(server.port)).toEqual({
      status: 503,
      body: { status: 'failed', model: 'nexus-mini@1.0.0', in_flight: 1, jobs_done: 1, reason: 'bundle checksum mismatch' },
    });
  });

  it('answers 404 elsewhere', async () => {
    server = await startHealthServer(createHealth(), { port: 0, host: '127.0.0.1' });
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
  });
});
