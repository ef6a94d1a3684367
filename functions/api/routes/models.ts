import { createRoute, z } from '@hono/zod-openapi';
import type { RegisterRoutes } from '../app-types.js';
import { COMMON_ERROR_RESPONSES } from '../schemas/error.js';

const ModelSchema = z
  .object({
    id: z.string(),
    object: z.literal('model'),
    version: z.string(),
    capabilities: z.array(z.enum(['understand', 'generate', 'edit'])),
  })
  .openapi('Model');

const listModelsRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  tags: ['models'],
  summary: 'List the models this deployment serves',
  security: [{ bearer: [] }],
  responses: {
    200: { content: { 'application/json': { schema: z.object({ object: z.literal('list'), data: z.array(ModelSchema) }) } }, description: 'Models' },
    ...COMMON_ERROR_RESPONSES,
  },
});

export const registerModelRoutes: RegisterRoutes = (app, deps) => {
  app.openapi(listModelsRoute, (c) =>
    c.json(
      {
        object: 'list' as const,
        data: deps.models.list().map((m) => ({ id: m.name, object: 'model' as const, version: m.version, capabilities: [...m.capabilities] })),
      },
      200,
    ),
  );
};
