// Job events (docs/architecture.md §4.4): built from a job transition and sent to the events queue, which the webhook
// dispatcher consumes. The emitter never talks to a customer's server. Edge-clean (Web Crypto, zod).
//
// Event ids are a function of (job id, sequence). Whoever writes a job's final state stores the terminal
// event's sequence in the same conditional write (`eventSequence`), so re-emitting after a crash yields the
// same id, and the dispatcher (which skips an event id already delivered) does not deliver it twice. The other
// numbered writes (started, progress, a queued cancel) take their sequence inside their own conditional write
// (PatchOptions.bumpSequence), and job.queued is 1 on every job: the row always names the event it last stood
// for, which is how GET /v1/jobs/{id}/events derives the same events and ids without a log.
import { z } from 'zod';
import type { JobRecord } from './job.js';
import { jobRecordSchema } from './job-schemas.js';
import type { JobStore, MessageQueue } from './ports.js';

export const EVENT_TYPES = ['job.queued', 'job.started', 'job.progress', 'job.succeeded', 'job.failed', 'job.canceled', 'job.expired'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The job as the event saw it: the stored record without its input messages (which webhooks never carry). */
export type EventJob = Omit<JobRecord, 'messages'>;

/** Retry/replay bookkeeping the dispatcher adds when it re-sends a message to itself. */
export interface DeliveryState {
  /** The attempt this message is for (1 = first). */
  attempt: number;
  /** Not before this time (ISO); SQS delays at most 15 min, so longer waits hop through the queue. */
  deliver_at: string | null;
  /** Groups the attempts of one delivery in the log; a replay starts a new one. */
  delivery_id: string;
  replay: boolean;
}

/** Body of an events-queue message. snake_case like every queue body; `job` is the stored record shape. */
export interface EventMessage {
  v: 1;
  id: string;
  type: EventType;
  created_at: string;
  sequence: number;
  tenant: string;
  job_id: string;
  job: EventJob;
  delivery?: DeliveryState;
}

/** The stored job's schema without its messages, as EventJob is JobRecord without them. */
const eventJobSchema = jobRecordSchema.omit({ messages: true }) satisfies z.ZodType<EventJob>;

const eventMessageSchema: z.ZodType<EventMessage> = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  type: z.enum(EVENT_TYPES),
  created_at: z.string(),
  sequence: z.number().int().min(0),
  tenant: z.string().min(1),
  job_id: z.string().min(1),
  job: eventJobSchema,
  delivery: z
    .object({
      attempt: z.number().int().min(1),
      deliver_at: z.string().nullable(),
      delivery_id: z.string().min(1),
      replay: z.boolean(),
    })
    .optional(),
});

/** The events queue's parse function: a body that is not an EventMessage throws (and ends in the DLQ). */
export function parseEventMessage(raw: unknown): EventMessage {
  return eventMessageSchema.parse(raw);
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * `evt_` + 26 Crockford base32 characters, like every other id: the job id's 10 time characters (so a
 * job's events sort with it) then 80 bits of SHA-256(job id, sequence). Same inputs, same id.
 */
export async function deriveEventId(jobId: string, sequence: number): Promise<string> {
  const body = jobId.slice(jobId.indexOf('_') + 1);
  const time = /^[0-7][0-9A-HJKMNP-TV-Z]{9}/.test(body) ? body.slice(0, 10) : '0000000000';
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${jobId}#${sequence}`)));
  let bits = 0n;
  for (const byte of digest.subarray(0, 10)) bits = (bits << 8n) | BigInt(byte);
  let random = '';
  for (let i = 0; i < 16; i += 1) {
    random = CROCKFORD.charAt(Number(bits & 31n)) + random;
    bits >>= 5n;
  }
  return `evt_${time}${random}`;
}

export function toEventJob(job: JobRecord): EventJob {
  const { messages: _messages, ...rest } = job;
  return rest;
}

export async function buildEventMessage(type: EventType, job: JobRecord, sequence: number, now: Date = new Date()): Promise<EventMessage> {
  return {
    v: 1,
    id: await deriveEventId(job.id, sequence),
    type,
    created_at: now.toISOString(),
    sequence,
    tenant: job.tenant,
    job_id: job.id,
    job: toEventJob(job),
  };
}

export interface EventEmitterOptions {
  queue: MessageQueue<EventMessage>;
  table: Pick<JobStore, 'nextEventSequence'>;
  now?: () => Date;
}

export interface EventEmitter {
  /**
   * Sends `type` for `job` (the row after the change). Pass the sequence stored with the transition for
   * terminal events (stable id across re-emission); without one, the next sequence is reserved now.
   */
  emit(type: EventType, job: JobRecord, sequence?: number): Promise<EventMessage>;
  /** Reserves the next sequence (atomic counter on the job row). */
  nextSequence(job: JobRecord): Promise<number>;
}

export function createEventEmitter(options: EventEmitterOptions): EventEmitter {
  const now = options.now ?? (() => new Date());
  const nextSequence = (job: JobRecord): Promise<number> => options.table.nextEventSequence(job.tenant, job.id);
  return {
    nextSequence,
    async emit(type, job, sequence) {
      const message = await buildEventMessage(type, job, sequence ?? (await nextSequence(job)), now());
      await options.queue.send(message);
      return message;
    },
  };
}
