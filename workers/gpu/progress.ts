// Progress from the runtime → the job rows, throttled per job. The conditional write returns the row, which
// is also how a cancel request reaches the run: it is checked between steps at the throttle's pace.
import { errorText } from '../../shared/error-text.js';
import type { ModelProgress } from '../model/types.js';
import type { JobDeps, RunItem } from './process-job.js';
import { wantsEvent } from './job-events.js';

export interface ProgressOptions {
  /** Slots of the batch in request order: the item each request belongs to. */
  slots: RunItem[];
  deps: Pick<JobDeps, 'table' | 'events' | 'log'>;
  intervalMs: number;
  /** Called when every job in the batch was canceled or lost, so the batch may stop early. */
  onAllStopped: () => void;
  now?: () => number;
}

export interface ProgressReporter {
  onProgress(progress: ModelProgress): void;
  /** Waits for writes still in flight (they are conditional, so late ones are harmless, but tests like quiet). */
  settle(): Promise<void>;
}

export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const now = options.now ?? Date.now;
  const last = new Map<RunItem, number>();
  const inFlight = new Set<Promise<void>>();
  const items = [...new Set(options.slots)];
  // The first write waits one interval too: a job shorter than that costs no progress writes at all.
  const startedAt = now();
  for (const item of items) last.set(item, startedAt);

  const write = async (item: RunItem, progress: ModelProgress): Promise<void> => {
    const { table, events } = options.deps;
    // Every progress write takes the next event sequence in the same write, webhook or not: the row then says
    // which job.progress it stands for, and the events stream (GET /v1/jobs/{id}/events) reads it from there.
    const row = await table.patch(
      item.job.tenant,
      item.job.id,
      ['running'],
      { progress: { stage: progress.stage, step: progress.step, total: progress.total } },
      { bumpSequence: true },
    );
    if (row === null) item.lost = true;
    else {
      item.knownSequence = Math.max(item.knownSequence, row.eventSequence);
      if (row.cancelRequested) item.cancelRequested = true;
    }
    if (row !== null && !row.cancelRequested && wantsEvent(row, 'job.progress')) await events.emit('job.progress', row, row.eventSequence);
    if (items.every((candidate) => candidate.lost || candidate.cancelRequested)) options.onAllStopped();
  };

  return {
    onProgress(progress) {
      const item = options.slots[progress.index];
      if (item === undefined) return;
      const at = now();
      if (at - (last.get(item) ?? 0) < options.intervalMs) return;
      last.set(item, at);
      const pending = write(item, progress).catch((error: unknown) => {
        options.deps.log('progress_write_failed', { job_id: item.job.id, error: errorText(error) });
      });
      inFlight.add(pending);
      void pending.finally(() => inFlight.delete(pending));
    },
    async settle() {
      await Promise.all([...inFlight]);
    },
  };
}
