// The job as clients see it (docs/architecture.md §4.2). job-mapper.ts is the one place that produces it.
import { z } from '@hono/zod-openapi';
import { JOB_STATUSES } from '../../../shared/job.js';

const OutputImagePartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string(), expires_at: z.string() }),
  width: z.number().int(),
  height: z.number().int(),
  sha256: z.string(),
  seed: z.number().int(),
});

const OutputTextPartSchema = z.object({ type: z.literal('text'), text: z.string() });

export const JobResourceSchema = z
  .object({
    id: z.string().openapi({ example: 'job_01JD3V9X8M4Q2W7RZK5T0B6N1C' }),
    object: z.literal('job'),
    model: z.string(),
    status: z.enum(JOB_STATUSES),
    created_at: z.string(),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    progress: z.object({ stage: z.string(), step: z.number(), total: z.number() }).nullable(),
    queue_position: z.number().int().nullable().openapi({ description: 'Best effort; only on GET of a queued job.' }),
    cancel_requested: z.boolean(),
    output: z.object({ role: z.literal('assistant'), content: z.array(z.union([OutputTextPartSchema, OutputImagePartSchema])) }).nullable(),
    error: z.object({ type: z.string(), message: z.string(), retryable: z.boolean() }).nullable(),
    usage: z
      .object({
        input_tokens: z.number(),
        output_tokens: z.number(),
        images: z.number(),
        compute_ms: z.number(),
        billable: z.boolean(),
        cost_usd_micros: z.number().int().openapi({ description: 'What the job is billed, in micro-dollars (1 USD = 1,000,000); README "Billing".' }),
        price_version: z.string().nullable().openapi({ description: 'The price table version that priced the job.' }),
      })
      .nullable(),
    webhook: z.object({ url: z.string(), events: z.array(z.string()) }).nullable(),
    metadata: z.record(z.string(), z.string()),
  })
  .openapi('Job');

export type JobResource = z.infer<typeof JobResourceSchema>;

export const JobListSchema = z
  .object({
    object: z.literal('list'),
    data: z.array(JobResourceSchema),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  })
  .openapi('JobList');

export type JobList = z.infer<typeof JobListSchema>;
