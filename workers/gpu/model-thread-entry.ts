// The model thread: loads the bundle once and runs one runBatch at a time for the worker's event loop
// (model-thread.ts). Started through model-thread-boot.mjs, which registers tsx in the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from '../model/index.js';
import type { LoadedModel } from '../model/types.js';
import { fromWireError, toWireError, type FromThread, type ThreadData, type ToThread } from './model-thread-protocol.js';

const port = parentPort;
if (port === null) throw new Error('model-thread-entry.ts runs only as a worker thread');
// Structured clone copies the image bytes (a few KB); transferring them could detach a pooled Buffer's memory.
const post = (message: FromThread): void => port.postMessage(message);
const { bundleDir, options } = workerData as ThreadData;
const runs = new Map<number, AbortController>();

let model: LoadedModel | null = null;
try {
  model = await loadModel(bundleDir, options);
  post({ type: 'loaded', name: model.name, version: model.version });
} catch (error) {
  post({ type: 'load_failed', error: toWireError(error) });
}

port.on('message', (message: ToThread) => {
  if (message.type === 'abort') {
    runs.get(message.id)?.abort(fromWireError(message.error));
    return;
  }
  if (message.type === 'close') {
    void (async () => {
      await model?.close();
      post({ type: 'closed' });
      port.close();
    })();
    return;
  }
  const { id, requests } = message;
  const controller = new AbortController();
  runs.set(id, controller);
  const running = model;
  if (running === null) {
    post({ type: 'failed', id, error: { name: 'Error', message: 'the model did not load' } });
    return;
  }
  running
    .runBatch(requests, {
      signal: controller.signal,
      onProgress: (progress) => post({ type: 'progress', id, progress }),
      onToken: (index, text) => post({ type: 'token', id, index, text }),
    })
    .then(
      (results) => post({ type: 'done', id, results }),
      (error: unknown) => post({ type: 'failed', id, error: toWireError(error) }),
    )
    .finally(() => runs.delete(id));
});
