// What the worker needs from the events module (shared/events.ts): emit a job's state change to the
// events queue. The worker never waits on a customer's server; the dispatcher delivers.
import type { JobRecord } from '../../shared/job.js';

export type WorkerEventType = 'job.started' | 'job.progress' | 'job.succeeded' | 'job.failed' | 'job.canceled' | 'job.expired';

export interface JobEventSink {
  /**
   * Emits `type` for `job` (the row after the change) with the given sequence. The event id is a function of
   * (job id, sequence), so emitting the same terminal event again after a crash gives the same id.
   */
  emit(type: WorkerEventType, job: JobRecord, sequence: number): Promise<unknown>;
  /** Reserves the next sequence for a non-terminal event (atomic counter on the job row). */
  nextSequence(job: JobRecord): Promise<number>;
}

const TERMINAL: Partial<Record<JobRecord['status'], WorkerEventType>> = {
  succeeded: 'job.succeeded',
  failed: 'job.failed',
  canceled: 'job.canceled',
  expired: 'job.expired',
};

/** The terminal event type of a final job; null while it is not final. */
export function terminalEventType(job: JobRecord): WorkerEventType | null {
  return TERMINAL[job.status] ?? null;
}

/**
 * Emits the terminal event of a final job. Its sequence was written with the final state (the final
 * transition sets `eventSequence`), so every emission of it, first or after a crash, carries one id.
 */
export async function emitTerminal(events: JobEventSink, job: JobRecord): Promise<void> {
  const type = terminalEventType(job);
  if (type !== null) await events.emit(type, job, job.eventSequence);
}

/** Whether the job's webhook asked for this event type (progress is opt-in). */
export function wantsEvent(job: JobRecord, type: WorkerEventType): boolean {
  if (type !== 'job.progress') return true;
  return job.webhook?.events.includes('job.progress') ?? false;
}
