// The model on its own thread answers exactly as the model on the event loop's thread: same bytes, the same
// progress, and failures the worker classifies the same way (bad request permanent, abort aborted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedModel, ModelProgress, ModelRequest } from '../model/types.js';
import { bundleDir, sharedModel } from '../../test/reliability/support.js';
import { classifyFailure } from './failures.js';
import type { Worker } from 'node:worker_threads';
import { loadModelInThread, modelDeath } from './model-thread.js';

const dir = bundleDir('workers/gpu/model-thread.test.ts');
let threaded: LoadedModel | null = null;

const request = (seed: number, extra: Partial<ModelRequest> = {}): ModelRequest => ({
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Generate an image according to the following description: a red circle in the middle' }] }],
  modalities: ['image'],
  format: 'png',
  seed,
  steps: 2,
  temperature: 1,
  topP: 1,
  maxTokens: 8,
  ...extra,
});

beforeAll(async () => {
  if (dir !== null) threaded = await loadModelInThread(dir, { executionProviders: ['cpu'], intraOpThreads: 1 });
});
afterAll(async () => {
  await threaded?.close();
});

describe.skipIf(dir === null)('model thread', () => {
  it('gives the same images, text and progress as the model on the event loop', { timeout: 60_000 }, async () => {
    const local = await sharedModel(dir ?? '');
    const seen: ModelProgress[][] = [[], []];
    const [mine, theirs] = await Promise.all([
      threaded?.runBatch([request(3), request(4)], { onProgress: (p) => seen[0]?.push(p) }),
      local.runBatch([request(3), request(4)], { onProgress: (p) => seen[1]?.push(p) }),
    ]);
    expect(mine?.map((r) => [r.text, r.images.map((i) => [i.sha256, i.width, i.mediaType, i.seed])])).toEqual(
      theirs.map((r) => [r.text, r.images.map((i) => [i.sha256, i.width, i.mediaType, i.seed])]),
    );
    expect(mine?.[0]?.images[0]?.data).toBeInstanceOf(Uint8Array);
    expect(seen[0]).toEqual(seen[1]);
    expect(threaded?.name).toBe(local.name);
    expect(threaded?.version).toBe(local.version);
  });

  it('rebuilds failures: a bad request stays permanent, an abort stays an abort', { timeout: 60_000 }, async () => {
    const bad = await threaded?.runBatch([request(5, { maxTokens: -5 })]).catch((error: unknown) => error);
    expect(classifyFailure(bad, 1)).toMatchObject({ kind: 'permanent', error: { type: 'invalid_request', retryable: false } });

    const controller = new AbortController();
    const running = threaded?.runBatch([request(6, { steps: 400 })], { signal: controller.signal });
    controller.abort(new DOMException('worker draining', 'AbortError'));
    const aborted = await running?.catch((error: unknown) => error);
    expect(aborted).toMatchObject({ name: 'AbortError', message: 'worker draining' });
    expect(classifyFailure(aborted, 1)).toEqual({ kind: 'aborted' });

    // The thread is still usable after both.
    const [after] = (await threaded?.runBatch([request(7)])) ?? [];
    expect(after?.images).toHaveLength(1);
  });

  it('refuses runs once closed', { timeout: 60_000 }, async () => {
    const own = await loadModelInThread(dir ?? '', { executionProviders: ['cpu'], intraOpThreads: 1 });
    await own.close();
    await expect(own.runBatch([request(8)])).rejects.toThrow('the model has been closed');
  });

  it('reports a thread that dies (and only that): modelDeath settles, runs fail; a close is no death', { timeout: 60_000 }, async () => {
    let thread: Worker | null = null;
    const doomed = await loadModelInThread(dir ?? '', { executionProviders: ['cpu'], intraOpThreads: 1 }, { onThread: (t) => (thread = t) });
    const death = modelDeath(doomed);
    expect(death).not.toBeNull();
    await (thread as Worker | null)?.terminate();
    const cause = await death;
    expect(cause?.message).toBe('the model thread exited (code 1)');
    await expect(doomed.runBatch([request(8)])).rejects.toThrow('the model thread exited (code 1)');

    const closed = await loadModelInThread(dir ?? '', { executionProviders: ['cpu'], intraOpThreads: 1 });
    const closedDeath = modelDeath(closed);
    await closed.close();
    const settled = await Promise.race([closedDeath?.then(() => 'died'), new Promise((resolve) => setTimeout(() => resolve('pending'), 300))]);
    expect(settled).toBe('pending');
  });
});
