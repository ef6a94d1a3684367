// The one mapper between JobRecord (camelCase) and its DynamoDB row (snake_case top-level attributes).
// Nested values (messages, params, result, …) are stored as maps in their TypeScript shape. Rows are
// parsed with zod on the way out, so a row written by an older or broken writer fails loudly here.
import { z } from 'zod';
import { JOB_STATUSES, type JobRecord } from '../job.js';
import type { JobPatch } from '../ports.js';
import { jobErrorSchema, outputSpecSchema, paramsSchema, progressSchema, resultSchema, storedPartSchema, usageSchema, webhookSpecSchema } from '../job-schemas.js';

export const jobKey = (tenant: string, id: string): { pk: string; sk: string } => ({ pk: `TENANT#${tenant}`, sk: `JOB#${id}` });

const jobRow = z.object({
  id: z.string(),
  tenant: z.string(),
  model: z.string(),
  status: z.enum(JOB_STATUSES),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.array(storedPartSchema) })),
  output: outputSpecSchema,
  params: paramsSchema,
  webhook: webhookSpecSchema.nullable(),
  metadata: z.record(z.string(), z.string()),
  progress: progressSchema.nullable(),
  result: resultSchema.nullable(),
  error: jobErrorSchema.nullable(),
  usage: usageSchema.nullable(),
  cancel_requested: z.boolean(),
  event_sequence: z.number(),
  attempt: z.number().optional(),
  deadline: z.string(),
});

export function jobToItem(job: JobRecord): Record<string, unknown> {
  return {
    ...jobKey(job.tenant, job.id),
    kind: 'job',
    id: job.id,
    tenant: job.tenant,
    model: job.model,
    status: job.status,
    created_at: job.createdAt,
    started_at: job.startedAt,
    completed_at: job.completedAt,
    messages: job.messages,
    output: job.output,
    params: job.params,
    webhook: job.webhook,
    metadata: job.metadata,
    progress: job.progress,
    result: job.result,
    error: job.error,
    usage: job.usage,
    cancel_requested: job.cancelRequested,
    event_sequence: job.eventSequence,
    attempt: job.attempt,
    deadline: job.deadline,
  };
}

export function itemToJob(item: Record<string, unknown>): JobRecord {
  const row = jobRow.parse(item);
  return {
    id: row.id,
    tenant: row.tenant,
    model: row.model,
    status: row.status,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    messages: row.messages,
    output: row.output,
    params: row.params,
    webhook: row.webhook,
    metadata: row.metadata,
    progress: row.progress,
    result: row.result,
    error: row.error,
    usage: row.usage,
    cancelRequested: row.cancel_requested,
    eventSequence: row.event_sequence,
    ...(row.attempt === undefined ? {} : { attempt: row.attempt }),
    deadline: row.deadline,
  };
}

const PATCH_ATTRIBUTES: { [K in keyof Required<JobPatch>]: string } = {
  model: 'model',
  startedAt: 'started_at',
  completedAt: 'completed_at',
  result: 'result',
  error: 'error',
  usage: 'usage',
  progress: 'progress',
  cancelRequested: 'cancel_requested',
  eventSequence: 'event_sequence',
};

const ATTRIBUTE_BY_FIELD = new Map<string, string>(Object.entries(PATCH_ATTRIBUTES));

/** The attributes a patch sets, as [attribute name, value] pairs (undefined fields are left alone). */
export function patchToAttributes(patch: JobPatch): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  for (const [field, value] of Object.entries(patch)) {
    const attribute = ATTRIBUTE_BY_FIELD.get(field);
    if (attribute !== undefined && value !== undefined) pairs.push([attribute, value]);
  }
  return pairs;
}
