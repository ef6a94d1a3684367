// /v1/jobs: create, get, list (async iteration across pages), cancel, the live events stream, and wait (the stream,
// or polling where streaming is unavailable).
import { ConnectionError, NexusError, NotFoundError, WaitTimeoutError } from './errors.js';
import { retryDelayMs, sleep } from './retry.js';
import { readServerSentEvents } from './sse.js';
import type { Transport } from './transport.js';
import { isFinal, type Job, type JobEvent, type JobList, type JobRequest } from './types.js';

/** The events stream cannot be used here (an API or proxy without it, a runtime without response streams). */
export class StreamingUnavailableError extends NexusError {}

export interface CreateOptions {
  /** Defaults to a fresh random key, generated once and sent on every retry of this create. */
  idempotencyKey?: string;
  /** Prefer: wait=N (≤ 60): the reply holds until the job ends or N seconds pass. */
  waitSeconds?: number;
  signal?: AbortSignal;
}

export interface EventsOptions {
  /** Resume after this event (the id of the last one received). */
  lastEventId?: string;
  signal?: AbortSignal;
  /** Reconnects in a row without receiving an event before giving up (default 5). */
  maxReconnects?: number;
}

export interface WaitOptions {
  /** Called with the job at each event (or poll) until it is final; `event` is absent when polling. */
  onProgress?: (job: Job, event?: JobEvent) => void;
  signal?: AbortSignal;
  /** Milliseconds; WaitTimeoutError after it (the job goes on). No limit by default. */
  timeout?: number;
  /** false: poll only. Default true: the events stream, falling back to polling when it is unavailable. */
  stream?: boolean;
  /** Poll interval when polling (default 1000 ms). */
  pollIntervalMs?: number;
}

export interface ListOptions {
  /** Page size, 1..100 (default 20). */
  limit?: number;
  signal?: AbortSignal;
}

/** `for await (const job of jobs.list())` walks every job, newest first, fetching pages as it goes. */
export class JobPager implements AsyncIterable<Job> {
  constructor(private readonly fetchPage: (cursor: string | null) => Promise<JobList>) {}

  /** The first page only. */
  firstPage(): Promise<JobList> {
    return this.fetchPage(null);
  }

  async *pages(): AsyncGenerator<JobList> {
    let cursor: string | null = null;
    do {
      const page: JobList = await this.fetchPage(cursor);
      yield page;
      cursor = page.has_more ? page.next_cursor : null;
    } while (cursor !== null);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Job> {
    for await (const page of this.pages()) yield* page.data;
  }
}

/** `/v1/jobs/{id}…` with the id checked and encoded: an empty id would otherwise name the list route. */
function jobPath(id: string, rest = ''): string {
  if (typeof id !== 'string' || id === '') throw new TypeError('a job id is required');
  return `/v1/jobs/${encodeURIComponent(id)}${rest}`;
}

/** A stream that ends sooner than this without an event counts as a failed one. */
const QUICK_END_MS = 1000;

const FINAL_EVENTS = new Set<JobEvent['type']>(['job.succeeded', 'job.failed', 'job.canceled', 'job.expired']);

/** The caller's signal, a timeout, or both, as one signal; `timedOut` tells which fired. */
function withTimeout(signal: AbortSignal | undefined, timeoutMs: number | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), controller.abort(new Error('timeout'))), timeoutMs);
  const onAbort = (): void => controller.abort(signal?.reason);
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    clear: () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

export class Jobs {
  constructor(private readonly transport: Transport) {}

  create(request: JobRequest, options: CreateOptions = {}): Promise<Job> {
    return this.transport.json<Job>({
      method: 'POST',
      path: '/v1/jobs',
      body: request,
      idempotencyKey: options.idempotencyKey ?? crypto.randomUUID(),
      headers: options.waitSeconds === undefined ? {} : { prefer: `wait=${options.waitSeconds}` },
      signal: options.signal,
    });
  }

  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<Job> {
    return this.transport.json<Job>({ method: 'GET', path: jobPath(id), signal: options.signal });
  }

  list(options: ListOptions = {}): JobPager {
    return new JobPager((cursor) =>
      this.transport.json<JobList>({ method: 'GET', path: '/v1/jobs', query: { limit: options.limit, cursor: cursor ?? undefined }, signal: options.signal }),
    );
  }

  async cancel(id: string, options: { signal?: AbortSignal } = {}): Promise<Job> {
    return this.transport.json<Job>({ method: 'POST', path: jobPath(id, '/cancel'), signal: options.signal });
  }

  /**
   * The job's events (GET /v1/jobs/{id}/events) until its final one. A stream the server ends early (its
   * per-stream limit) or the network cuts is resumed with Last-Event-ID, so no event is lost or repeated.
   * StreamingUnavailableError when the API or runtime cannot stream.
   */
  async *events(id: string, options: EventsOptions = {}): AsyncGenerator<JobEvent> {
    let lastEventId = options.lastEventId;
    const maxReconnects = options.maxReconnects ?? 5;
    let failures = 0;
    const retry = this.transport.retry;
    for (;;) {
      const res = await this.openEvents(id, lastEventId, options.signal);
      const openedAt = Date.now();
      let received = 0;
      let problem: unknown = null;
      try {
        for await (const message of readServerSentEvents(res)) {
          const event: JobEvent = JSON.parse(message.data);
          lastEventId = event.id;
          received += 1;
          failures = 0;
          yield event;
          if (FINAL_EVENTS.has(event.type)) return;
        }
        // Ended without the final event: the server's per-stream limit (reconnect at once), unless it ended at once
        // and empty, which a healthy server never does (a proxy cutting streams): back off as for an error.
        if (received === 0 && Date.now() - openedAt < QUICK_END_MS) problem = new Error('the stream ended at once without an event');
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        problem = error;
      }
      if (problem === null) continue;
      failures += 1;
      if (failures > maxReconnects) throw new ConnectionError(`the events stream of ${id} kept failing: ${String(problem)}`, { cause: problem });
      await sleep(retryDelayMs(failures - 1, null, retry), options.signal);
    }
  }

  private async openEvents(id: string, lastEventId: string | undefined, signal: AbortSignal | undefined): Promise<ReadableStream<Uint8Array>> {
    let res: Response;
    try {
      res = await this.transport.open({
        method: 'GET',
        path: jobPath(id, '/events'),
        headers: { accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
        signal,
      });
    } catch (error) {
      // An API from before the events route answers 404 route_not_found; the job itself missing stays a 404.
      if (error instanceof NotFoundError && error.code === 'route_not_found') throw new StreamingUnavailableError('this API has no events stream', { cause: error });
      throw error;
    }
    if (res.body === null || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
      await res.body?.cancel().catch(() => undefined);
      throw new StreamingUnavailableError(`the events reply is ${res.headers.get('content-type') ?? 'empty'}, not a stream`);
    }
    return res.body;
  }

  /**
   * Resolves with the job once it is final (succeeded, failed, canceled or expired: check `status`). Uses the
   * events stream, and polls GET /v1/jobs/{id} when streaming is unavailable or keeps failing.
   */
  async wait(id: string, options: WaitOptions = {}): Promise<Job> {
    const scope = withTimeout(options.signal, options.timeout);
    let lastSeen: Job | null = null;
    const seen = (job: Job, event?: JobEvent): void => {
      lastSeen = job;
      options.onProgress?.(job, event);
    };
    try {
      if (options.stream !== false) {
        try {
          for await (const event of this.events(id, { signal: scope.signal })) {
            seen(event.data, event);
            if (FINAL_EVENTS.has(event.type)) return event.data;
          }
        } catch (error) {
          if (!(error instanceof StreamingUnavailableError || error instanceof ConnectionError)) throw error;
        }
      }
      for (;;) {
        const job = await this.get(id, { signal: scope.signal });
        seen(job);
        if (isFinal(job)) return job;
        await sleep(options.pollIntervalMs ?? 1000, scope.signal);
      }
    } catch (error) {
      if (scope.timedOut()) throw new WaitTimeoutError(id, options.timeout ?? 0, lastSeen);
      throw error;
    } finally {
      scope.clear();
    }
  }
}
