// The model on a worker thread. onnxruntime-node runs each session call synchronously on the calling thread,
// so a model on the worker's event loop stops every queue, table and store call for as long as a call lasts,
// and that thread is one of the model's compute threads besides: I/O beside the model only slows it. On its
// own thread the model leaves the event loop free for the next batch's claims and the last one's outputs.
import { Worker } from 'node:worker_threads';
import type { LoadedModel, LoadModelOptions, ModelResult, RunOptions } from '../model/types.js';
import { fromWireError, toWireError, type FromThread, type ThreadData, type ToThread } from './model-thread-protocol.js';

interface Run {
  options: RunOptions;
  resolve: (results: ModelResult[]) => void;
  reject: (error: unknown) => void;
}

const deaths = new WeakMap<LoadedModel, Promise<Error>>();

/** For a model from loadModelInThread: settles with the error if its thread dies (crash, exit) before close(). */
export function modelDeath(model: LoadedModel): Promise<Error> | null {
  return deaths.get(model) ?? null;
}

/** Test seam: hands over the thread (tests end it to stand for a crash no real bundle produces on demand). */
export interface ModelThreadHooks {
  onThread?: (thread: Worker) => void;
}

export async function loadModelInThread(bundleDir: string, options: LoadModelOptions, hooks: ModelThreadHooks = {}): Promise<LoadedModel> {
  const data: ThreadData = { bundleDir, options };
  const thread = new Worker(new URL('./model-thread-boot.mjs', import.meta.url), { workerData: data });
  hooks.onThread?.(thread);
  const runs = new Map<number, Run>();
  let nextId = 0;
  let failure: Error | null = null;
  let closing: Promise<void> | null = null;
  const send = (message: ToThread): void => thread.postMessage(message);

  let closeRequested = false;
  let markDead: (error: Error) => void = () => undefined;
  const died = new Promise<Error>((resolve) => {
    markDead = resolve;
  });
  const failAll = (error: Error): void => {
    if (failure === null && !closeRequested) markDead(error);
    failure ??= error;
    for (const run of runs.values()) run.reject(error);
    runs.clear();
  };

  const loaded = new Promise<{ name: string; version: string }>((resolve, reject) => {
    thread.on('message', (message: FromThread) => {
      switch (message.type) {
        case 'loaded':
          resolve({ name: message.name, version: message.version });
          return;
        case 'load_failed':
          reject(fromWireError(message.error));
          return;
        case 'progress':
          runs.get(message.id)?.options.onProgress?.(message.progress);
          return;
        case 'token':
          runs.get(message.id)?.options.onToken?.(message.index, message.text);
          return;
        case 'done':
          runs.get(message.id)?.resolve(message.results);
          runs.delete(message.id);
          return;
        case 'failed':
          runs.get(message.id)?.reject(fromWireError(message.error));
          runs.delete(message.id);
          return;
        case 'closed':
          return;
      }
    });
    thread.on('error', (error: unknown) => {
      const fault = error instanceof Error ? error : new Error(String(error));
      reject(fault);
      failAll(fault);
    });
    thread.on('exit', (code) => {
      const error = new Error(`the model thread exited (code ${code})`);
      reject(error);
      failAll(error);
    });
  });
  let identity: { name: string; version: string };
  try {
    identity = await loaded;
  } catch (error) {
    await thread.terminate();
    throw error;
  }

  const runBatch: LoadedModel['runBatch'] = (requests, runOptions = {}) => {
    if (failure !== null) return Promise.reject(failure);
    const id = (nextId += 1);
    const { signal } = runOptions;
    return new Promise<ModelResult[]>((resolve, reject) => {
      const onAbort = (): void => send({ type: 'abort', id, error: toWireError(signal?.reason) });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      runs.set(id, {
        options: runOptions,
        resolve: (results) => {
          done();
          resolve(results);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      send({ type: 'run', id, requests });
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  };

  const model: LoadedModel = {
    name: identity.name,
    version: identity.version,
    runBatch,
    run: async (request, runOptions) => {
      const [result] = await runBatch([request], runOptions);
      if (result === undefined) throw new Error('the batch returned no result');
      return result;
    },
    close() {
      closeRequested = true;
      closing ??= (async () => {
        const alive = failure === null;
        failAll(new Error('the model has been closed'));
        if (!alive) return;
        const exited = new Promise<void>((resolve) => thread.once('exit', () => resolve()));
        send({ type: 'close' });
        await exited;
      })();
      return closing;
    },
  };
  deaths.set(model, died);
  return model;
}
