// A job's webhook delivery log (every attempt) and replay of a delivery's event.
import { createRoute, z } from '@hono/zod-openapi';
import { notFound } from '../../../shared/errors.js';
import { parseEventMessage } from '../../../shared/events.js';
import { newEventId } from '../../../shared/ids.js';
import type { DeliveryRecord } from '../../../shared/ports.js';
import type { RegisterRoutes } from '../app-types.js';
import { COMMON_ERROR_RESPONSES, errorResponse } from '../schemas/error.js';
import { JobIdParamsSchema, loadOwnJob } from './jobs-read.js';
import { webhooksUnavailable } from './webhook-secret.js';

const AttemptSchema = z
  .object({
    object: z.literal('delivery_attempt'),
    delivery_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    attempt: z.number().int(),
    url: z.string(),
    status: z.number().int().nullable().openapi({ description: 'HTTP status; null when no answer came (see error_class)' }),
    latency_ms: z.number(),
    error_class: z.string().nullable().openapi({ description: 'redirect, http_error, gone, timeout, connection_error, dns_failed, ssrf_refused, endpoint_disabled, …' }),
    created_at: z.string(),
  })
  .openapi('DeliveryAttempt');

const AttemptListSchema = z.object({ object: z.literal('list'), data: z.array(AttemptSchema) }).openapi('DeliveryAttemptList');

const ReplaySchema = z
  .object({ object: z.literal('delivery'), id: z.string(), event_id: z.string(), job_id: z.string(), status: z.literal('queued') })
  .openapi('DeliveryReplay');

const DeliveryParamsSchema = JobIdParamsSchema.extend({
  delivery: z
    .string()
    .max(64)
    .openapi({ param: { name: 'delivery', in: 'path' }, example: 'dlv_01JD3V9X8M4Q2W7RZK5T0B6N1C' }),
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}/deliveries',
  tags: ['webhooks'],
  summary: "Every webhook delivery attempt for a job's events, oldest first",
  security: [{ bearer: [] }],
  request: { params: JobIdParamsSchema },
  responses: {
    200: { content: { 'application/json': { schema: AttemptListSchema } }, description: 'The attempts' },
    ...COMMON_ERROR_RESPONSES,
    404: errorResponse('No such job for this tenant (not_found_error)'),
  },
});

const replayRoute = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/deliveries/{delivery}/replay',
  tags: ['webhooks'],
  summary: "Deliver a delivery's event again",
  description: 'Sends the same event (same webhook-id, same data) to the job’s webhook again, as a new delivery with its own retries.',
  security: [{ bearer: [] }],
  request: { params: DeliveryParamsSchema },
  responses: {
    202: { content: { 'application/json': { schema: ReplaySchema } }, description: 'The replay is queued' },
    ...COMMON_ERROR_RESPONSES,
    404: errorResponse('No such job or delivery for this tenant (not_found_error)'),
  },
});

const toAttempt = (d: DeliveryRecord): z.infer<typeof AttemptSchema> => ({
  object: 'delivery_attempt',
  delivery_id: d.deliveryId,
  event_id: d.eventId,
  event_type: d.eventType,
  attempt: d.attempt,
  url: d.url,
  status: d.status,
  latency_ms: d.latencyMs,
  error_class: d.errorClass,
  created_at: d.at,
});

export const registerDeliveryRoutes: RegisterRoutes = (app, deps) => {
  app.openapi(listRoute, async (c) => {
    const job = await loadOwnJob(deps, c.get('tenant'), c.req.valid('param').id);
    const attempts = await deps.jobs.listDeliveries(job.id);
    return c.json({ object: 'list' as const, data: attempts.map(toAttempt) }, 200);
  });

  app.openapi(replayRoute, async (c) => {
    const params = c.req.valid('param');
    const job = await loadOwnJob(deps, c.get('tenant'), params.id);
    const attempt = (await deps.jobs.listDeliveries(job.id)).find((d) => d.deliveryId === params.delivery);
    if (attempt === undefined) throw notFound(`no delivery ${JSON.stringify(params.delivery)} for this job`, 'delivery');
    const stored = await deps.jobs.getEvent(job.id, attempt.eventId);
    if (stored === null) throw notFound('the event of this delivery is no longer kept', 'delivery');
    if (!deps.webhooks) throw webhooksUnavailable();
    const event = parseEventMessage(JSON.parse(stored));
    const id = `dlv_${newEventId().slice(4)}`;
    await deps.webhooks.events.send({ ...event, delivery: { attempt: 1, deliver_at: null, delivery_id: id, replay: true } });
    return c.json({ object: 'delivery' as const, id, event_id: event.id, job_id: job.id, status: 'queued' as const }, 202);
  });
};
