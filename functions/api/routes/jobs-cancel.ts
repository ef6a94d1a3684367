import { createRoute } from '@hono/zod-openapi';
import type { JobRecord } from '../../../shared/job.js';
import type { RegisterRoutes } from '../app-types.js';
import { emitSafely } from '../create-job.js';
import type { ResolvedDeps } from '../deps.js';
import { toJobResource } from '../job-mapper.js';
import { COMMON_ERROR_RESPONSES, errorResponse } from '../schemas/error.js';
import { JobResourceSchema } from '../schemas/job-resource.js';
import { JobIdParamsSchema, loadOwnJob } from './jobs-read.js';

/**
 * queued → canceled at once; running → cancel_requested (the worker checks it between stages and ends the
 * job as canceled); finished → unchanged. Each step is a conditional write, so when a cancel races a worker
 * the loser re-reads and reports what actually happened.
 */
async function cancel(deps: ResolvedDeps, tenant: string, id: string): Promise<JobRecord> {
  let job = await loadOwnJob(deps, tenant, id);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (job.status === 'queued') {
      // The terminal event's sequence is taken in the transition itself (no gap when the cancel loses the race) and
      // stored with it, so its id is stable if re-emitted.
      const canceled = await deps.jobs.transition(tenant, id, ['queued'], 'canceled', { completedAt: deps.now().toISOString() }, { bumpSequence: true });
      if (canceled !== null) {
        // Not billed: its spend reservation, if any, is released (and again when a worker receives its message).
        await deps.jobs.settleSpend(tenant, canceled.createdAt.slice(0, 7), id, 0).catch(() => undefined);
        await emitSafely(() => deps.events?.emit('job.canceled', canceled, canceled.eventSequence), canceled);
        return canceled;
      }
    } else if (job.status === 'running') {
      if (job.cancelRequested) return job;
      const requested = await deps.jobs.patch(tenant, id, ['running'], { cancelRequested: true });
      if (requested !== null) return requested;
    } else {
      return job;
    }
    job = await loadOwnJob(deps, tenant, id);
  }
  return job;
}

const cancelJobRoute = createRoute({
  method: 'post',
  path: '/v1/jobs/{id}/cancel',
  tags: ['jobs'],
  summary: 'Cancel a job',
  description: 'A queued job is canceled at once; a running one gets cancel_requested and stops at the next stage; a finished one is returned unchanged.',
  security: [{ bearer: [] }],
  request: { params: JobIdParamsSchema },
  responses: {
    200: { content: { 'application/json': { schema: JobResourceSchema } }, description: 'The job after the cancel' },
    ...COMMON_ERROR_RESPONSES,
    404: errorResponse('No such job for this tenant (not_found_error)'),
  },
});

export const registerCancelJobRoute: RegisterRoutes = (app, deps) => {
  app.openapi(cancelJobRoute, async (c) => {
    const job = await cancel(deps, c.get('tenant'), c.req.valid('param').id);
    return c.json(await toJobResource(job, { objects: deps.objects, presignTtlSeconds: deps.settings.presignTtlSeconds, now: deps.now }), 200);
  });
};
