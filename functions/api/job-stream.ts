// The events of GET /v1/jobs/{id}/events, derived from the job row alone (no event log is read), so any API
// instance can serve or resume a stream. This works because every numbered write takes its event sequence in the
// same conditional write (shared/ports.ts PatchOptions.bumpSequence), so a row always says which event it last
// stood for:
//   job.queued    sequence 1, written with the row at creation;
//   job.started   sequence 2, the first numbered write after creation (the worker's started_at write);
//   job.progress  the row's eventSequence while it is running with a progress value (each progress write bumps it);
//   final event   the row's eventSequence once it is final (stored with the final transition).
// Event ids are deriveEventId(job id, sequence), exactly the webhooks' ids. Limits: progress is a snapshot; steps
// written between two reads of the row are never seen (the worker writes progress at most every
// WORKER_PROGRESS_INTERVAL_MS; the stream reads every eventsPollMs). Events reconstructed after the fact carry the
// job as it was at that event (status, timestamps, no output), rebuilt from the current row.
import { deriveEventId, type EventType } from '../../shared/events.js';
import { invalidRequest } from '../../shared/errors.js';
import { FINAL_STATUSES, type JobRecord, type JobStatus } from '../../shared/job.js';

export interface StreamEvent {
  type: EventType;
  sequence: number;
  /** ISO time of the event: the row's own timestamps for lifecycle events, the read time for progress. */
  createdAt: string;
  /** The job as the event saw it. */
  job: JobRecord;
}

export const QUEUED_SEQUENCE = 1;
export const STARTED_SEQUENCE = 2;

const FINAL_TYPES: Partial<Record<JobStatus, EventType>> = {
  succeeded: 'job.succeeded',
  failed: 'job.failed',
  canceled: 'job.canceled',
  expired: 'job.expired',
};

export const isFinalJob = (job: JobRecord): boolean => FINAL_STATUSES.includes(job.status);

const blank = { completedAt: null, progress: null, result: null, error: null, usage: null } as const;

/**
 * Every event the row implies, oldest first, with strictly increasing sequences. A stream sends those above the
 * last sequence it sent; reading the row again later yields the same lifecycle events with the same sequences.
 */
export function eventsOf(job: JobRecord, now: Date): StreamEvent[] {
  const events: StreamEvent[] = [
    { type: 'job.queued', sequence: QUEUED_SEQUENCE, createdAt: job.createdAt, job: { ...job, ...blank, status: 'queued', startedAt: null, cancelRequested: false } },
  ];
  if (job.startedAt !== null) {
    events.push({ type: 'job.started', sequence: STARTED_SEQUENCE, createdAt: job.startedAt, job: { ...job, ...blank, status: 'running' } });
  }
  const final = FINAL_TYPES[job.status] ?? null;
  if (final !== null) {
    events.push({ type: final, sequence: job.eventSequence, createdAt: job.completedAt ?? now.toISOString(), job });
  } else if (job.status === 'running' && job.progress !== null && job.eventSequence > STARTED_SEQUENCE) {
    events.push({ type: 'job.progress', sequence: job.eventSequence, createdAt: now.toISOString(), job });
  }
  // A row older than the numbering (sequence 0 jobs) could repeat a number: keep the order strict.
  return events.filter((event, index) => index === 0 || event.sequence > (events[index - 1]?.sequence ?? 0));
}

/** Longest Last-Event-ID worth reading: an event id is 30 characters. */
const MAX_LAST_EVENT_ID = 64;

/**
 * The sequence a `Last-Event-ID` stands for: 0 without one, else the sequence whose derived id it is (ids are a
 * hash of job id and sequence, so the search runs over the numbers the row has handed out). An id that is not one
 * of this job's events is a 400: resuming from a guess could lose or repeat events.
 */
export async function sequenceOfLastEventId(job: JobRecord, header: string | undefined): Promise<number> {
  if (header === undefined) return 0;
  const id = header.trim();
  if (id === '') return 0;
  if (id.length <= MAX_LAST_EVENT_ID && id.startsWith('evt_')) {
    for (let sequence = Math.max(job.eventSequence, QUEUED_SEQUENCE); sequence >= 0; sequence -= 1) {
      if ((await deriveEventId(job.id, sequence)) === id) return sequence;
    }
  }
  throw invalidRequest('invalid_last_event_id', `Last-Event-ID ${JSON.stringify(id.slice(0, MAX_LAST_EVENT_ID))} is not an event of job ${job.id}`, 'Last-Event-ID');
}
