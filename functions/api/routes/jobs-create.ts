import { createRoute, z } from '@hono/zod-openapi';
import { invalidRequest } from '../../../shared/errors.js';
import type { RegisterRoutes } from '../app-types.js';
import { sha256Hex } from '../auth-keys.js';
import { createJob } from '../create-job.js';
import { estimateJob } from '../estimate-job.js';
import { toJobResource } from '../job-mapper.js';
import { DEFAULT_LIMITS as L } from '../limits.js';
import { isFinal, parsePreferWait, waitForFinal } from '../prefer-wait.js';
import { prepareJob } from '../prepare-request.js';
import { BODY_ERROR_RESPONSES, COMMON_ERROR_RESPONSES, errorResponse } from '../schemas/error.js';
import { JobRequestSchema } from '../schemas/job-request.js';
import { JobResourceSchema } from '../schemas/job-resource.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

const jobBody = (description: string) => ({ content: { 'application/json': { schema: JobResourceSchema } }, description });

export const createJobRoute = createRoute({
  method: 'post',
  path: '/v1/jobs',
  tags: ['jobs'],
  summary: 'Submit a job (understand, generate or edit images in a chat conversation)',
  security: [{ bearer: [] }],
  request: {
    headers: z.object({
      'idempotency-key': z.string().optional().openapi({ description: 'Same key + same body → the same job for 24 h; same key + other body → 409.' }),
      prefer: z
        .string()
        .optional()
        .openapi({ description: `wait=N (N ≤ ${L.maxWaitSeconds}) holds the reply until the job ends or N seconds pass.` }),
    }),
    body: {
      required: true,
      description: `At most ${L.maxBodyBytes} bytes, ${L.maxMessages} messages, ${L.maxImages} images, ${L.maxTextChars} characters per text part, ${L.maxMetadataKeys} metadata keys.`,
      content: { 'application/json': { schema: JobRequestSchema } },
    },
  },
  responses: {
    200: jobBody('An idempotent replay, or a job that finished within Prefer: wait'),
    202: jobBody('Job accepted and queued'),
    ...COMMON_ERROR_RESPONSES,
    402: errorResponse('The month\u2019s spend limit would be passed (billing_error, spend_limit_reached)'),
    409: errorResponse('Idempotency-Key reused with another body (conflict_error)'),
    ...BODY_ERROR_RESPONSES,
  },
});

export const registerCreateJobRoute: RegisterRoutes = (app, deps) => {
  app.openapi(createJobRoute, async (c) => {
    const tenant = c.get('tenant');
    const request = c.req.valid('json');
    const headers = c.req.valid('header');
    const idempotencyKey = headers['idempotency-key'] ?? null;
    if (idempotencyKey !== null && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw invalidRequest('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 visible ASCII characters', 'Idempotency-Key');
    }
    const wait = parsePreferWait(headers.prefer, L.maxWaitSeconds);
    const prepared = await prepareJob(request, {
      tenant,
      models: deps.models,
      objects: deps.objects,
      allowLoopbackHttp: deps.settings.allowLoopbackHttp,
    });
    // Hashes the validated body re-serialised (fields in schema order), so whitespace or field order does
    // not turn a retry into a conflict.
    const bodyHash = idempotencyKey === null ? '' : await sha256Hex(JSON.stringify(request));
    const { monthlySpendMicros } = c.get('limits');
    // Every job reserves its estimate, limited or not, so the month's committed spend is complete if a limit comes later.
    const spend = { limitMicros: monthlySpendMicros, estimateMicros: estimateJob(prepared).costUsdMicros };
    const result = await createJob(deps, { tenant, prepared, bodyHash, idempotencyKey, spend });

    let job = result.job;
    if (wait !== null) {
      c.header('Preference-Applied', `wait=${wait}`);
      job = await waitForFinal(deps.jobs, job, wait, deps.settings.waitPollMs, c.req.raw.signal);
    }
    c.header('Location', `/v1/jobs/${job.id}`);
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    const resource = await toJobResource(job, { objects: deps.objects, presignTtlSeconds: deps.settings.presignTtlSeconds, now: deps.now });
    return result.replayed || isFinal(job) ? c.json(resource, 200) : c.json(resource, 202);
  });
};
