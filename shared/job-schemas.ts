// zod schemas of the stored job (camelCase, the JobRecord of job.ts), shared by every reader of a stored job:
// jobRecordSchema is the one description of the whole record, checked against JobRecord at compile time; the
// events-queue parser derives its job from it (events.ts), and the DynamoDB row mapper (shared/aws/) reuses the
// nested schemas under its snake_case top-level names.
import { z } from 'zod';
import { JOB_STATUSES, type JobRecord } from './job.js';

export const storedPartSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({
    type: z.literal('image'),
    key: z.string(),
    mediaType: z.enum(['image/png', 'image/jpeg', 'image/webp']),
    width: z.number(),
    height: z.number(),
  }),
  z.object({ type: z.literal('image_url'), url: z.string() }),
]);

export const outputSpecSchema = z.object({
  modalities: z.array(z.enum(['text', 'image'])).nullable(),
  format: z.enum(['png', 'jpeg', 'webp']),
  n: z.number(),
});

export const paramsSchema = z.object({
  seed: z.number(),
  steps: z.number().optional(),
  guidance: z.number().optional(),
  temperature: z.number(),
  topP: z.number(),
  maxTokens: z.number(),
});

export const webhookSpecSchema = z.object({ url: z.string(), events: z.array(z.string()) });
export const progressSchema = z.object({ stage: z.string(), step: z.number(), total: z.number() });
export const usageSchema = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  images: z.number(),
  computeMs: z.number(),
  billable: z.boolean(),
  // Rows and events written before prices existed carry neither field.
  costUsdMicros: z.number().default(0),
  priceVersion: z.string().nullable().default(null),
});
export const outputImageSchema = z.object({
  key: z.string(),
  width: z.number(),
  height: z.number(),
  sha256: z.string(),
  seed: z.number(),
  mediaType: z.string(),
});
export const resultSchema = z.object({ text: z.string(), images: z.array(outputImageSchema) });
export const jobErrorSchema = z.object({ type: z.string(), message: z.string(), retryable: z.boolean() });

export const storedMessageSchema = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.array(storedPartSchema) });

/** The whole stored job; `satisfies` keeps it and JobRecord in step (a field added to one must be added to both). */
export const jobRecordSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  model: z.string(),
  status: z.enum(JOB_STATUSES),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  messages: z.array(storedMessageSchema),
  output: outputSpecSchema,
  params: paramsSchema,
  webhook: webhookSpecSchema.nullable(),
  metadata: z.record(z.string(), z.string()),
  progress: progressSchema.nullable(),
  result: resultSchema.nullable(),
  error: jobErrorSchema.nullable(),
  usage: usageSchema.nullable(),
  cancelRequested: z.boolean(),
  eventSequence: z.number(),
  attempt: z.number().optional(),
  deadline: z.string(),
}) satisfies z.ZodType<JobRecord>;

/** `satisfies` catches a JobRecord field the schema lacks; this catches a schema field JobRecord lacks. */
type SameKeys<A, B> = [Exclude<keyof A, keyof B> | Exclude<keyof B, keyof A>] extends [never] ? true : false;
const _sameKeys: SameKeys<JobRecord, z.infer<typeof jobRecordSchema>> = true;
