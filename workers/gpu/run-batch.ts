// Runs one group of claimed jobs through one runBatch call, then finishes each job on its own (tracked: the loop
// moves on to the next batch meanwhile). A failing group is re-run job by job, so one bad request does not fail
// its batch mates. The one piece of state is the running group's abort controller, which a drain past its
// grace period (or every job of the group being canceled) aborts.
import { errorText } from '../../shared/error-text.js';
import type { LoadedModel, ModelResult } from '../model/types.js';
import type { HeldMessages } from './held-messages.js';
import { beginRun, failRun, finishRun, mark, type JobDeps, type RunItem } from './process-job.js';
import { createProgressReporter } from './progress.js';

export interface BatchRunnerOptions {
  model: Pick<LoadedModel, 'runBatch'>;
  deps: JobDeps;
  progressIntervalMs: number;
  held: Pick<HeldMessages, 'settle' | 'track'>;
}

export interface BatchRunner {
  /** Runs the group on the model; resolves once the model is done with it (the jobs finish in the background). */
  run(items: RunItem[]): Promise<void>;
  /** Aborts the group on the model now, if one is running. */
  abort(reason: unknown): void;
}

export function createBatchRunner(options: BatchRunnerOptions): BatchRunner {
  const { deps, held } = options;
  const log = deps.log;
  let running: AbortController | null = null;

  /** Where one job's time went, ms from its receipt to each step (the benchmark reads these). */
  function logTiming(item: RunItem, results: ModelResult[]): void {
    const received = item.marks.received ?? 0;
    const at = Object.fromEntries(Object.entries(item.marks).map(([name, time]) => [name, Math.round((time - received) * 10) / 10]));
    const computeMs = results.reduce((sum, result) => sum + result.computeMs, 0);
    log('job_timing', {
      job_id: item.job.id,
      received_at: Date.now() - (performance.now() - received),
      compute_ms: computeMs,
      at: { ...at, deleted: Math.round((performance.now() - received) * 10) / 10 },
    });
  }

  async function run(items: RunItem[]): Promise<void> {
    const slots = items.flatMap((item) => item.requests.map(() => item));
    const controller = new AbortController();
    running = controller;
    const progress = createProgressReporter({
      slots,
      deps,
      intervalMs: options.progressIntervalMs,
      onAllStopped: () => controller.abort(new DOMException('every job of the batch was canceled', 'AbortError')),
    });
    let results: ModelResult[];
    for (const item of items) {
      mark(item, 'model_start');
      beginRun(item);
    }
    try {
      results = await options.model.runBatch(
        items.flatMap((item) => item.requests),
        { signal: controller.signal, onProgress: (p) => progress.onProgress(p) },
      );
    } catch (error) {
      await progress.settle();
      if (items.length > 1 && !controller.signal.aborted) {
        // One bad request must not fail its batch mates: run each alone to find it.
        log('batch_failed_isolating', { jobs: items.length, error: errorText(error) });
        for (const item of items) await run([item]);
        return;
      }
      for (const item of items) held.track(failRun(item, error, deps).then((d) => held.settle(item.message, d)));
      return;
    } finally {
      running = null;
    }
    for (const item of items) mark(item, 'model_end');
    await progress.settle();
    let offset = 0;
    for (const item of items) {
      const own = results.slice(offset, offset + item.requests.length);
      offset += item.requests.length;
      held.track(
        finishRun(item, own, deps)
          .catch((error: unknown) => failRun(item, error, deps))
          .then((d) => held.settle(item.message, d))
          .then(() => logTiming(item, own))
          .catch((error: unknown) => log('finish_failed', { job_id: item.job.id, error: errorText(error) })),
      );
    }
  }

  return {
    run,
    abort(reason) {
      running?.abort(reason);
    },
  };
}
