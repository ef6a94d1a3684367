// The wire schema of POST /v1/jobs (docs/architecture.md §4.1). Strict objects: unknown fields are rejected, so a typo
// in a parameter name fails loudly instead of being ignored. Semantic checks that need I/O or bytes
// (model catalogue, image headers, upload references) run right after, in prepare-request.ts.
import { z } from '@hono/zod-openapi';
import { LAST_MESSAGE_RULE } from '../../../shared/job.js';
import { DEFAULT_LIMITS as L } from '../limits.js';

// Lone surrogates cannot be tokenized or stored faithfully as UTF-8; reject them at the door.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const wellFormed = (s: string): boolean => !LONE_SURROGATE.test(s);

export const wellFormedText = (max: number) => z.string().max(max).refine(wellFormed, { message: 'text contains an unpaired UTF-16 surrogate' });

// DynamoDB stores numbers down to 1e-130 only, and sampling cannot tell 1e-7 from 0: a subnormal like
// 5e-324 would otherwise pass the range check and fail at the table as a 5xx.
const MIN_MAGNITUDE = 1e-6;
const sampling = (schema: z.ZodNumber) =>
  schema.refine((x) => x === 0 || Math.abs(x) >= MIN_MAGNITUDE, { message: `must be 0 or at least ${MIN_MAGNITUDE} in magnitude` });

export const JOB_EVENT_TYPES = ['job.queued', 'job.started', 'job.progress', 'job.succeeded', 'job.failed', 'job.canceled', 'job.expired'] as const;

export const TextPartSchema = z
  .strictObject({
    type: z.literal('text'),
    text: wellFormedText(L.maxTextChars),
  })
  .openapi('TextPart');

export const ImageUrlPartSchema = z
  .strictObject({
    type: z.literal('image_url'),
    image_url: z.strictObject({
      url: z
        .string()
        .min(1)
        .openapi({
          description: `\`data:image/{png|jpeg|webp};base64,...\`, \`upload:upl_...\` (from POST /v1/uploads) or an https URL. Decoded images: PNG, JPEG or WebP only (sniffed from the bytes), at most ${L.maxImageSide}px a side and ${L.maxImagePixels} pixels, ${L.maxImageBytes} bytes.`,
        }),
    }),
  })
  .openapi('ImageUrlPart');

export const ContentPartSchema = z.discriminatedUnion('type', [TextPartSchema, ImageUrlPartSchema]).openapi('ContentPart');

export const MessageSchema = z
  .strictObject({
    role: z.enum(['system', 'user', 'assistant']),
    content: z.union([
      wellFormedText(L.maxTextChars),
      z
        .array(ContentPartSchema)
        .min(1)
        .max(L.maxImages + 16),
    ]),
  })
  .openapi('Message');

export const OutputSpecSchema = z
  .strictObject({
    modalities: z
      .array(z.enum(['text', 'image']))
      .min(1)
      .max(2)
      .refine((list) => new Set(list).size === list.length, { message: 'each modality at most once' })
      .nullable()
      .optional(),
    format: z.enum(['png', 'jpeg', 'webp']).optional(),
    n: z.number().int().min(1).max(L.maxOutputImages).optional(),
  })
  .openapi('OutputSpec');

export const ParamsSchema = z
  .strictObject({
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    steps: z.number().int().min(1).max(L.maxSteps).optional(),
    guidance: sampling(z.number().min(0).max(L.maxGuidance)).optional(),
    temperature: sampling(z.number().min(0).max(2)).optional(),
    top_p: sampling(z.number().gt(0).max(1)).optional(),
    max_tokens: z.number().int().min(1).max(L.maxTokens).optional(),
  })
  .openapi('Params');

export const WebhookSpecSchema = z
  .strictObject({
    url: z.string().min(1).max(L.maxUrlChars).openapi({ description: 'https only (plain http only to loopback, and only when the local config allows it).' }),
    events: z.array(z.enum(JOB_EVENT_TYPES)).min(1).max(JOB_EVENT_TYPES.length).optional(),
  })
  .openapi('WebhookSpec');

const MetadataRecord = z
  .record(wellFormedText(L.maxMetadataKeyChars).pipe(z.string().min(1)), wellFormedText(L.maxMetadataValueChars))
  .refine((m) => Object.keys(m).length <= L.maxMetadataKeys, { message: `at most ${L.maxMetadataKeys} metadata keys` })
  .openapi('Metadata');

/**
 * JSON.parse makes "__proto__" an ordinary own key, but zod's record skips it (assigning it to a plain object
 * would replace the prototype), so the entry would vanish from an accepted request. It is refused here, on
 * the raw object, before the record sees it.
 */
export const MetadataSchema = z.preprocess((value, ctx) => {
  if (typeof value === 'object' && value !== null && Object.prototype.hasOwnProperty.call(value, '__proto__')) {
    ctx.issues.push({ code: 'custom', message: 'metadata key "__proto__" is reserved', input: value, path: ['__proto__'] });
  }
  return value;
}, MetadataRecord);

export const JobRequestSchema = z
  .strictObject({
    model: z.string().min(1).max(128),
    messages: z
      .array(MessageSchema)
      .min(1)
      .max(L.maxMessages)
      .superRefine((messages, ctx) => {
        const last = messages.length - 1;
        if (last >= 0 && messages[last]?.role !== 'user') ctx.addIssue({ code: 'custom', path: [last, 'role'], message: LAST_MESSAGE_RULE });
      })
      .openapi({ description: `The conversation, oldest first; ${LAST_MESSAGE_RULE}.` }),
    output: OutputSpecSchema.optional(),
    params: ParamsSchema.optional(),
    webhook: WebhookSpecSchema.nullable().optional(),
    metadata: MetadataSchema.optional(),
  })
  .openapi('JobRequest');

export type JobRequest = z.infer<typeof JobRequestSchema>;
export type ContentPart = z.infer<typeof ContentPartSchema>;
