import { createRoute, z } from '@hono/zod-openapi';
import { notFound } from '../../../shared/errors.js';
import { isId } from '../../../shared/ids.js';
import type { JobRecord } from '../../../shared/job.js';
import type { RegisterRoutes } from '../app-types.js';
import type { ResolvedDeps } from '../deps.js';
import { toJobResource } from '../job-mapper.js';
import { DEFAULT_LIMITS as L } from '../limits.js';
import { parsePreferWait, waitForFinal } from '../prefer-wait.js';
import { COMMON_ERROR_RESPONSES, errorResponse } from '../schemas/error.js';
import { JobListSchema, JobResourceSchema } from '../schemas/job-resource.js';

export const JobIdParamsSchema = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'job_01JD3V9X8M4Q2W7RZK5T0B6N1C' }) });

/** The caller's job, or 404 — another tenant's id is indistinguishable from a missing one. */
export async function loadOwnJob(deps: ResolvedDeps, tenant: string, id: string): Promise<JobRecord> {
  const job = isId('job', id) ? await deps.jobs.getJob(tenant, id) : null;
  if (job === null) throw notFound(`no job ${JSON.stringify(id.slice(0, 64))}`, 'id');
  return job;
}

export async function queuePosition(deps: ResolvedDeps, job: JobRecord): Promise<number | null> {
  if (job.status !== 'queued') return null;
  try {
    // Best effort: the queue cannot say where one message sits, only how many wait; report that bound.
    const depth = await deps.queue.depth();
    return Math.max(1, depth.visible + depth.delayed);
  } catch {
    return null;
  }
}

const getJobRoute = createRoute({
  method: 'get',
  path: '/v1/jobs/{id}',
  tags: ['jobs'],
  summary: 'Get a job',
  security: [{ bearer: [] }],
  request: {
    params: JobIdParamsSchema,
    headers: z.object({
      prefer: z
        .string()
        .optional()
        .openapi({ description: `wait=N (N ≤ ${L.maxWaitSeconds})` }),
    }),
  },
  responses: {
    200: { content: { 'application/json': { schema: JobResourceSchema } }, description: 'The job' },
    ...COMMON_ERROR_RESPONSES,
    404: errorResponse('No such job for this tenant (not_found_error)'),
  },
});

const listJobsRoute = createRoute({
  method: 'get',
  path: '/v1/jobs',
  tags: ['jobs'],
  summary: "List the caller's jobs, newest first",
  security: [{ bearer: [] }],
  request: {
    query: z.object({
      limit: z.coerce
        .number({ error: 'must be one integer from 1 to 100' })
        .int({ error: 'must be one integer from 1 to 100' })
        .min(1, { error: 'must be one integer from 1 to 100' })
        .max(100, { error: 'must be one integer from 1 to 100' })
        .optional()
        .openapi({ description: 'Page size, 1..100 (default 20)' }),
      cursor: z.string().max(2048).optional().openapi({ description: 'next_cursor of the previous page' }),
    }),
  },
  responses: {
    200: { content: { 'application/json': { schema: JobListSchema } }, description: 'A page of jobs' },
    ...COMMON_ERROR_RESPONSES,
  },
});

export const registerReadJobRoutes: RegisterRoutes = (app, deps) => {
  const mapOptions = { objects: deps.objects, presignTtlSeconds: deps.settings.presignTtlSeconds, now: deps.now };

  app.openapi(getJobRoute, async (c) => {
    const tenant = c.get('tenant');
    let job = await loadOwnJob(deps, tenant, c.req.valid('param').id);
    const wait = parsePreferWait(c.req.valid('header').prefer, L.maxWaitSeconds);
    if (wait !== null) {
      c.header('Preference-Applied', `wait=${wait}`);
      job = await waitForFinal(deps.jobs, job, wait, deps.settings.waitPollMs, c.req.raw.signal);
    }
    return c.json(await toJobResource(job, { ...mapOptions, queuePosition: await queuePosition(deps, job) }), 200);
  });

  app.openapi(listJobsRoute, async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const page = await deps.jobs.listJobs(c.get('tenant'), { limit: limit ?? 20, cursor: cursor ?? null });
    const data = await Promise.all(page.items.map((job) => toJobResource(job, mapOptions)));
    return c.json({ object: 'list' as const, data, has_more: page.nextCursor !== null, next_cursor: page.nextCursor }, 200);
  });
};
