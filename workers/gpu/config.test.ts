// Worker settings that would make messages reappear are refused at start, with the reason.
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig } from './config.js';

describe('loadWorkerConfig', () => {
  it('refuses a batch window longer than half the visibility timeout (messages would reappear while a batch gathers)', () => {
    expect(() => loadWorkerConfig({ WORKER_BATCH_WINDOW_MS: '3000', WORKER_VISIBILITY_SECONDS: '5', WORKER_HEARTBEAT_MS: '2000' })).toThrow(
      'WORKER_BATCH_WINDOW_MS must be at most half of WORKER_VISIBILITY_SECONDS',
    );
    expect(loadWorkerConfig({ WORKER_BATCH_WINDOW_MS: '2500', WORKER_VISIBILITY_SECONDS: '5', WORKER_HEARTBEAT_MS: '2000' }).batchWindowMs).toBe(2500);
  });

  it('refuses a heartbeat that is not shorter than the visibility timeout', () => {
    expect(() => loadWorkerConfig({ WORKER_VISIBILITY_SECONDS: '5', WORKER_HEARTBEAT_MS: '5000' })).toThrow('WORKER_HEARTBEAT_MS must be shorter');
  });
});
