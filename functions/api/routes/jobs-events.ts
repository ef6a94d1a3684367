// GET /v1/jobs/{id}/events: a job's events as Server-Sent Events, derived by reading the job row every
// eventsPollMs (job-stream.ts says how the row names its events and what that cannot see). Everything that can
// fail (auth, unknown job, bad Last-Event-ID) fails before the stream starts, with the usual envelope.
import { createRoute, z } from '@hono/zod-openapi';
import { PlatformError } from '../../../shared/errors.js';
import type { JobRecord } from '../../../shared/job.js';
import type { RegisterRoutes } from '../app-types.js';
import type { ResolvedDeps } from '../deps.js';
import { toJobResource } from '../job-mapper.js';
import { deriveEventId } from '../../../shared/events.js';
import { eventsOf, isFinalJob, sequenceOfLastEventId, type StreamEvent } from '../job-stream.js';
import { COMMON_ERROR_RESPONSES, errorResponse } from '../schemas/error.js';
import { JobEventSchema } from '../schemas/job-event.js';
import { JobIdParamsSchema, loadOwnJob, queuePosition } from './jobs-read.js';

const DESCRIPTION = [
  'Server-Sent Events (text/event-stream). Each event is `id: <event id>`, `event: <type>`, `data: <JobEvent JSON>`:',
  'the same object and id as the webhook for that event. Order: job.queued (sequence 1), job.started (2),',
  'job.progress (data.progress has stage/step/total; a snapshot of the job row, so steps between two reads are skipped),',
  'then the final event (job.succeeded | job.failed | job.canceled | job.expired), after which the server ends the stream.',
  'A finished job gets the events its row still implies (queued, started if it started, the final one), then the end.',
  'Send `Last-Event-ID` (the id of the last event received) to resume: only later events are sent; an id that is not',
  "one of this job's events is 400 invalid_last_event_id. Idle streams carry `: ping` comments. A stream also ends,",
  'without a final event, after eventsMaxSeconds (20 s on AWS Lambda, whose adapter delivers the reply when it ends;',
  '600 s under serve.ts); reconnect with Last-Event-ID. Authenticate with the Authorization header (browsers: fetch',
  'and a stream reader, since EventSource cannot send headers).',
].join(' ');

const eventsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/events',
  tags: ['jobs'],
  summary: "Stream a job's events (Server-Sent Events)",
  description: DESCRIPTION,
  security: [{ bearer: [] }],
  request: {
    params: JobIdParamsSchema,
    headers: z.object({ 'last-event-id': z.string().optional().openapi({ description: 'Resume after this event id' }) }),
  },
  responses: {
    200: {
      content: { 'text/event-stream': { schema: JobEventSchema } },
      description: 'A stream of events; the `data:` of each is one JobEvent',
    },
    ...COMMON_ERROR_RESPONSES,
    404: errorResponse('No such job for this tenant (not_found_error)'),
    429: errorResponse('Rate limited, or too many open event streams for this tenant (too_many_streams); see Retry-After'),
  },
});

/** After this long without a successful read of the row the stream ends (the client resumes). */
const READ_FAILURE_LIMIT_MS = 10_000;

interface StreamOptions {
  deps: ResolvedDeps;
  job: JobRecord;
  after: number;
  requestId: string;
  signal: AbortSignal;
  /** Called once when the stream ends, however it ends. */
  onClose: () => void;
}

/** `current`: the row as just read; a queued event rebuilt for a job that has moved on gets no queue position. */
async function render(event: StreamEvent, current: JobRecord, deps: ResolvedDeps): Promise<string> {
  const position = event.job.status === 'queued' && current.status === 'queued' ? await queuePosition(deps, current) : null;
  const data = await toJobResource(event.job, { objects: deps.objects, presignTtlSeconds: deps.settings.presignTtlSeconds, now: deps.now, queuePosition: position });
  const id = await deriveEventId(event.job.id, event.sequence);
  const body = JSON.stringify({ id, type: event.type, created_at: event.createdAt, sequence: event.sequence, data });
  return `id: ${id}\nevent: ${event.type}\ndata: ${body}\n\n`;
}

function openStream(options: StreamOptions): ReadableStream<Uint8Array> {
  const { deps, signal } = options;
  const { eventsPollMs, eventsHeartbeatMs, eventsMaxSeconds } = deps.settings;
  const encoder = new TextEncoder();
  let closed = false;
  let wake: () => void = () => undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const stop = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    wake();
    options.onClose();
  };
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string): void => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      let lastWrite = Date.now();
      heartbeat = setInterval(
        () => {
          if (Date.now() - lastWrite >= eventsHeartbeatMs) {
            write(': ping\n\n');
            lastWrite = Date.now();
          }
        },
        Math.max(50, Math.floor(eventsHeartbeatMs / 2)),
      );
      signal.addEventListener('abort', stop, { once: true });

      void (async () => {
        const until = Date.now() + eventsMaxSeconds * 1000;
        let sent = options.after;
        let job: JobRecord | null = options.job;
        let lastRead = Date.now();
        try {
          while (!closed && job !== null) {
            for (const event of eventsOf(job, deps.now())) {
              if (event.sequence <= sent) continue;
              write(await render(event, job, deps));
              lastWrite = Date.now();
              sent = event.sequence;
            }
            if (isFinalJob(job) || Date.now() >= until) break;
            await pause(Math.min(eventsPollMs, Math.max(0, until - Date.now())));
            if (closed) break;
            try {
              job = await deps.jobs.getJob(job.tenant, job.id);
              lastRead = Date.now();
            } catch (error) {
              // A failed read keeps the last row; the stream goes on until reads fail for too long.
              if (Date.now() - lastRead > READ_FAILURE_LIMIT_MS) throw error;
            }
          }
        } catch (error) {
          console.error(JSON.stringify({ level: 'error', request_id: options.requestId, msg: 'events stream ended by an error', cause: String(error) }));
        } finally {
          if (!closed) {
            stop();
            controller.close();
          }
        }
      })();
    },
    cancel() {
      // The client went away: stop reading the row.
      stop();
    },
  });
}

const tooManyStreams = (limit: number): PlatformError =>
  new PlatformError({
    type: 'rate_limit_error',
    status: 429,
    code: 'too_many_streams',
    message: `at most ${limit} event streams may be open at once per API key's tenant; close one or poll`,
    retryable: true,
    retryAfterSeconds: 5,
  });

export const registerJobEventsRoute: RegisterRoutes = (app, deps) => {
  // Each open stream reads its job row every eventsPollMs; a per-tenant cap keeps one tenant from turning that
  // into unbounded table reads on this process.
  const open = new Map<string, number>();
  app.openapi(eventsRoute, async (c) => {
    const tenant = c.get('tenant');
    const job = await loadOwnJob(deps, tenant, c.req.valid('param').id);
    const after = await sequenceOfLastEventId(job, c.req.valid('header')['last-event-id']);
    const headers = { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' };
    // Hono answers HEAD with this GET handler and drops the body without cancelling it: a stream opened here would
    // read the row (and hold a slot) until eventsMaxSeconds with nobody listening.
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    const held = open.get(tenant) ?? 0;
    if (held >= deps.settings.eventsMaxStreamsPerTenant) throw tooManyStreams(deps.settings.eventsMaxStreamsPerTenant);
    open.set(tenant, held + 1);
    const onClose = (): void => {
      const left = (open.get(tenant) ?? 1) - 1;
      if (left <= 0) open.delete(tenant);
      else open.set(tenant, left);
    };
    const stream = openStream({ deps, job, after, requestId: c.get('requestId'), signal: c.req.raw.signal, onClose });
    return c.body(stream, 200, headers);
  });
};
