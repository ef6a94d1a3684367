// Worker settings that would make messages reappear are refused at start, with the reason.
import { describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT } from '../../shared/aws/provision.js';
import { IMAGE_LIMITS } from '../../shared/image-limits.js';
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

  it('knows the queue\u2019s maxReceiveCount (the local queues\u2019 by default) and fetches images up to the shared byte limit', () => {
    const config = loadWorkerConfig({});
    expect(config.retry).toEqual({ baseSeconds: 2, maxSeconds: 300, maxReceiveCount: MAX_RECEIVE_COUNT });
    expect(config.imageFetch.maxBytes).toBe(IMAGE_LIMITS.maxImageBytes);
    expect(loadWorkerConfig({ WORKER_MAX_RECEIVE_COUNT: '10' }).retry.maxReceiveCount).toBe(10);
  });
});
