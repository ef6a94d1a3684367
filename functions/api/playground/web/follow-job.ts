// Follows one job to its end: live over the job's event stream (GET /v1/jobs/{id}/events) when the API serves it,
// else by polling GET /v1/jobs/{id}, which carries status, progress and queue position too. Any failure of the
// stream (404/405 where it does not exist, a proxy that buffers it, a drop mid-job) falls back to polling, so the
// page works the same against an API with or without events. A lost connection is retried (the job keeps
// running on the server) until giveUpAfterMs of silence.
import { ApiError, describeError, isFinal, NetworkError, type ApiClient, type Job } from './api.js';
import { readSseStream } from './sse-parser.js';

export interface FollowOptions {
  api: ApiClient;
  jobId: string;
  signal: AbortSignal;
  onJob(job: Job, via: 'events' | 'polling'): void;
  /** A connection problem being retried (text), or null once it is over. */
  onNotice(text: string | null): void;
  pollMs?: number;
  giveUpAfterMs?: number;
}

/** Polling got no answer for giveUpAfterMs; the job itself may be fine. */
export class LostContactError extends Error {
  constructor(
    readonly jobId: string,
    seconds: number,
  ) {
    super(
      `Lost contact with the API for ${seconds < 1 ? seconds.toFixed(1) : Math.round(seconds)} s. Job ${jobId} keeps running on the server: check again when the connection is back.`,
    );
    this.name = 'LostContactError';
  }
}

const JOB_EVENT_TYPES = new Set(['job.queued', 'job.started', 'job.progress', 'job.succeeded', 'job.failed', 'job.canceled', 'job.expired']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields the page relies on; the rest is the API's documented job resource. */
const isJob = (v: unknown): v is Job => isRecord(v) && typeof v.id === 'string' && typeof v.status === 'string' && typeof v.created_at === 'string';

/** The job inside one event's data (the webhook body), or null when the event is not a job event. */
export function jobOfEvent(type: string, data: string): Job | null {
  if (!JOB_EVENT_TYPES.has(type)) return null;
  const body: unknown = JSON.parse(data);
  if (!isRecord(body) || !isJob(body.data)) throw new Error(`event ${type} carries no job`);
  return body.data;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((done, fail) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        fail(signal.reason);
      },
      { once: true },
    );
  });

/** The final job from the event stream, or null when the stream is unavailable or broke before the end. */
async function viaEvents(options: FollowOptions): Promise<Job | null> {
  const { api, jobId, signal } = options;
  let response: Response;
  try {
    response = await api.raw(`/v1/jobs/${encodeURIComponent(jobId)}/events`, { headers: { accept: 'text/event-stream' }, signal });
  } catch (error) {
    if (signal.aborted) throw error;
    return null;
  }
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok || !type.startsWith('text/event-stream') || response.body === null) {
    await response.body?.cancel().catch(() => undefined);
    return null;
  }
  let final: Job | null = null;
  try {
    await readSseStream(
      response.body,
      {
        onEvent(event) {
          const job = jobOfEvent(event.type, event.data);
          if (job === null) return;
          options.onJob(job, 'events');
          if (isFinal(job)) final = job;
        },
      },
      signal,
    );
  } catch (error) {
    if (signal.aborted) throw error;
    return null;
  }
  if (signal.aborted) throw signal.reason;
  return final;
}

async function viaPolling(options: FollowOptions): Promise<Job> {
  const { api, jobId, signal } = options;
  const pollMs = options.pollMs ?? 400;
  const giveUpAfterMs = options.giveUpAfterMs ?? 60_000;
  let troubleSince: number | null = null;
  let delay = pollMs;
  for (;;) {
    try {
      const job = await api.json<Job>('GET', `/v1/jobs/${encodeURIComponent(jobId)}`, undefined, {}, signal);
      if (troubleSince !== null) options.onNotice(null);
      troubleSince = null;
      delay = pollMs;
      options.onJob(job, 'polling');
      if (isFinal(job)) return job;
    } catch (error) {
      if (signal.aborted) throw error;
      const transient = error instanceof NetworkError || (error instanceof ApiError && (error.status === 429 || error.status >= 500));
      if (!transient) throw error;
      troubleSince ??= Date.now();
      if (Date.now() - troubleSince > giveUpAfterMs) throw new LostContactError(jobId, giveUpAfterMs / 1000);
      options.onNotice(`${describeError(error)} Retrying; the job keeps running on the server.`);
      const retryAfter = error instanceof ApiError && error.retryAfterSeconds !== null ? error.retryAfterSeconds * 1000 : 0;
      delay = Math.max(retryAfter, Math.min(delay * 2, 4000));
    }
    await sleep(delay, signal);
  }
}

export async function followJob(options: FollowOptions): Promise<Job> {
  return (await viaEvents(options)) ?? viaPolling(options);
}
