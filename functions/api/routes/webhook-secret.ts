// The caller's webhook signing secret (read, rotate) and a signed test event sent on request.
import { createRoute, z } from '@hono/zod-openapi';
import { invalidRequest, PlatformError } from '../../../shared/errors.js';
import type { EventMessage } from '../../../shared/events.js';
import { newEventId } from '../../../shared/ids.js';
import type { MessageQueue } from '../../../shared/ports.js';
import { ensureWebhookSecret, rotateWebhookSecret, signingSecrets } from '../../../shared/webhook-secrets.js';
import type { WebhookSender } from '../../webhooks/send-webhook.js';
import type { RegisterRoutes } from '../app-types.js';
import { BODY_ERROR_RESPONSES, COMMON_ERROR_RESPONSES } from '../schemas/error.js';
import { checkClientUrl } from '../url-policy.js';

/** What the webhook routes need beyond the table; the entry files pass the events queue and a sender. */
export interface WebhookRouteDeps {
  /** The events queue: replays go through the dispatcher like any event. */
  events: MessageQueue<EventMessage>;
  /**
   * Sends one signed POST now (the dispatcher's sender: SSRF guard, 15 s, no redirects). Node-only (it
   * resolves DNS and pins the connection), so edge entries leave it out and the test route answers 503.
   */
  send?: WebhookSender;
}

export const webhooksUnavailable = (): PlatformError =>
  new PlatformError({
    type: 'overloaded_error',
    status: 503,
    code: 'webhooks_unavailable',
    message: 'webhook delivery is not configured',
    retryable: true,
    retryAfterSeconds: 1,
  });

const SecretSchema = z
  .object({
    object: z.literal('webhook_secret'),
    secret: z.string().openapi({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
    previous_secret: z.string().nullable().openapi({ description: 'Still signed alongside the current one until the next rotation' }),
  })
  .openapi('WebhookSecret');

const TestResultSchema = z
  .object({
    object: z.literal('webhook_test'),
    id: z.string(),
    url: z.string(),
    delivered: z.boolean(),
    status: z.number().nullable(),
    latency_ms: z.number(),
    error_class: z.string().nullable(),
  })
  .openapi('WebhookTestResult');

const getSecretRoute = createRoute({
  method: 'get',
  path: '/v1/webhooks/secret',
  tags: ['webhooks'],
  summary: 'The current webhook signing secret',
  description: 'Deliveries carry Standard Webhooks v1 signatures made with this secret (created on first use).',
  security: [{ bearer: [] }],
  responses: { 200: { content: { 'application/json': { schema: SecretSchema } }, description: 'The secret' }, ...COMMON_ERROR_RESPONSES },
});

const rotateSecretRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/secret/rotate',
  tags: ['webhooks'],
  summary: 'Rotate the webhook signing secret',
  description: 'The new secret becomes current; the old one keeps being signed alongside it until the next rotation.',
  security: [{ bearer: [] }],
  responses: { 200: { content: { 'application/json': { schema: SecretSchema } }, description: 'The new secret' }, ...COMMON_ERROR_RESPONSES },
});

const testRoute = createRoute({
  method: 'post',
  path: '/v1/webhooks/test',
  tags: ['webhooks'],
  summary: 'Send a signed test event',
  description: 'POSTs a `webhook.test` event to the URL now and reports the answer. A 2xx re-enables an endpoint disabled by 410.',
  security: [{ bearer: [] }],
  request: { body: { content: { 'application/json': { schema: z.object({ url: z.string().max(2048) }).strict() } }, required: true } },
  responses: { 200: { content: { 'application/json': { schema: TestResultSchema } }, description: 'The attempt' }, ...COMMON_ERROR_RESPONSES, ...BODY_ERROR_RESPONSES },
});

export const registerWebhookSecretRoutes: RegisterRoutes = (app, deps) => {
  app.openapi(getSecretRoute, async (c) => {
    const tenant = c.get('tenant');
    const secret = await ensureWebhookSecret(deps.jobs, tenant);
    const [, previous] = await deps.jobs.getWebhookSecrets(tenant);
    return c.json({ object: 'webhook_secret' as const, secret, previous_secret: previous ?? null }, 200);
  });

  app.openapi(rotateSecretRoute, async (c) => {
    const { current, previous } = await rotateWebhookSecret(deps.jobs, c.get('tenant'));
    return c.json({ object: 'webhook_secret' as const, secret: current, previous_secret: previous }, 200);
  });

  app.openapi(testRoute, async (c) => {
    const tenant = c.get('tenant');
    const verdict = checkClientUrl(c.req.valid('json').url, deps.settings.allowLoopbackHttp);
    if (!verdict.ok) throw invalidRequest('invalid_url', `url: ${verdict.message}`, 'url');
    const send = deps.webhooks?.send;
    if (send === undefined) throw webhooksUnavailable();
    const id = newEventId();
    const body = JSON.stringify({ id, type: 'webhook.test', created_at: deps.now().toISOString(), data: { object: 'webhook_test', url: verdict.url } });
    const outcome = await send({ url: verdict.url, id, body, secrets: await signingSecrets(deps.jobs, tenant) });
    if (outcome.ok && (await deps.jobs.listDisabledWebhookEndpoints(tenant)).includes(verdict.url)) {
      await deps.jobs.enableWebhookEndpoint(tenant, verdict.url);
    }
    return c.json(
      {
        object: 'webhook_test' as const,
        id,
        url: verdict.url,
        delivered: outcome.ok,
        status: outcome.status,
        latency_ms: outcome.latencyMs,
        error_class: outcome.errorClass,
      },
      200,
    );
  });
};
