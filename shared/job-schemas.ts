// zod schemas of the job's nested values in their stored (camelCase) shape, shared by every reader of a
// stored job: the DynamoDB row mapper and the events-queue message parser.
import { z } from 'zod';

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
