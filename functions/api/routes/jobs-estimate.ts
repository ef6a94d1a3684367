import { createRoute, z } from '@hono/zod-openapi';
import type { RegisterRoutes } from '../app-types.js';
import { estimateJob } from '../estimate-job.js';
import { prepareJob } from '../prepare-request.js';
import { BODY_ERROR_RESPONSES, COMMON_ERROR_RESPONSES } from '../schemas/error.js';
import { JobRequestSchema } from '../schemas/job-request.js';

export const JobEstimateSchema = z
  .object({
    object: z.literal('job_estimate'),
    model: z.string(),
    price_version: z.string(),
    cost_usd_micros: z.number().int().openapi({ description: 'The most this job can be billed, in micro-dollars (1 USD = 1,000,000).' }),
    basis: z
      .object({ images: z.number().int(), pixels: z.number().int(), steps: z.number().int(), input_tokens: z.number().int(), output_tokens: z.number().int() })
      .openapi({
        description: 'The usage the figure assumes: every run draws its picture, decodes max_tokens, and reads the conversation at the price table\u2019s token bound.',
      }),
  })
  .openapi('JobEstimate');

const estimateRoute = createRoute({
  method: 'post',
  path: '/v1/jobs/estimate',
  tags: ['jobs'],
  summary: 'Price a job without creating it (the same body as POST /v1/jobs)',
  description: 'Validates the body exactly as POST /v1/jobs does (model, images, uploads, URLs) and answers the most the job can be billed. Nothing is stored or queued.',
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: JobRequestSchema } } } },
  responses: {
    200: { content: { 'application/json': { schema: JobEstimateSchema } }, description: 'The price' },
    ...COMMON_ERROR_RESPONSES,
    ...BODY_ERROR_RESPONSES,
  },
});

export const registerEstimateJobRoute: RegisterRoutes = (app, deps) => {
  app.openapi(estimateRoute, async (c) => {
    const prepared = await prepareJob(c.req.valid('json'), {
      tenant: c.get('tenant'),
      models: deps.models,
      objects: deps.objects,
      allowLoopbackHttp: deps.settings.allowLoopbackHttp,
    });
    const estimate = estimateJob(prepared);
    const { basis } = estimate;
    return c.json(
      {
        object: 'job_estimate' as const,
        model: prepared.model,
        price_version: estimate.priceVersion,
        cost_usd_micros: estimate.costUsdMicros,
        basis: { images: basis.images, pixels: basis.pixels, steps: basis.steps, input_tokens: basis.inputTokens, output_tokens: basis.outputTokens },
      },
      200,
    );
  });
};
