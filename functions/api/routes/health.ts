import { createRoute, z } from '@hono/zod-openapi';
import type { RegisterRoutes } from '../app-types.js';

const HealthSchema = z.object({ status: z.enum(['ok', 'unavailable']) }).openapi('Health');

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'Readiness: 200 once the backing services answer',
  responses: {
    200: { content: { 'application/json': { schema: HealthSchema } }, description: 'Ready' },
    503: { content: { 'application/json': { schema: HealthSchema } }, description: 'Not ready' },
  },
});

export const registerHealthRoute: RegisterRoutes = (app, deps) => {
  app.openapi(healthRoute, async (c) => {
    const ready = deps.ready === undefined ? true : await deps.ready().catch(() => false);
    return ready ? c.json({ status: 'ok' as const }, 200) : c.json({ status: 'unavailable' as const }, 503);
  });
};
