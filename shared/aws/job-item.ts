// The one mapper between JobRecord (camelCase) and its DynamoDB row (snake_case top-level attributes).
// Nested values (messages, params, result, …) are stored as maps in their TypeScript shape. Rows are
// parsed with the record's zod schema on the way out, so a row written by an older or broken writer fails loudly here.
import type { JobRecord } from '../job.js';
import type { JobPatch } from '../ports.js';
import { jobRecordSchema } from '../job-schemas.js';

export const jobKey = (tenant: string, id: string): { pk: string; sk: string } => ({ pk: `TENANT#${tenant}`, sk: `JOB#${id}` });

/**
 * Each JobRecord field's attribute on the row: the one place the row's snake_case names are written. The row's
 * shape is otherwise the record's (shared/job-schemas.ts jobRecordSchema), so nothing else describes it twice.
 */
const ATTRIBUTES = {
  id: 'id',
  tenant: 'tenant',
  model: 'model',
  status: 'status',
  createdAt: 'created_at',
  startedAt: 'started_at',
  completedAt: 'completed_at',
  messages: 'messages',
  output: 'output',
  params: 'params',
  webhook: 'webhook',
  metadata: 'metadata',
  progress: 'progress',
  result: 'result',
  error: 'error',
  usage: 'usage',
  cancelRequested: 'cancel_requested',
  eventSequence: 'event_sequence',
  attempt: 'attempt',
  deadline: 'deadline',
} as const satisfies { [K in keyof Required<JobRecord>]: string };

const FIELDS = jobRecordSchema.keyof().options;

export function jobToItem(job: JobRecord): Record<string, unknown> {
  const item: Record<string, unknown> = { ...jobKey(job.tenant, job.id), kind: 'job' };
  for (const field of FIELDS) item[ATTRIBUTES[field]] = job[field];
  return item;
}

export function itemToJob(item: Record<string, unknown>): JobRecord {
  const record: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const attribute = ATTRIBUTES[field];
    if (attribute in item && item[attribute] !== undefined) record[field] = item[attribute];
  }
  return jobRecordSchema.parse(record);
}

/** The fields a status change or patch may set (JobPatch); their attributes come from ATTRIBUTES. */
const PATCH_FIELDS = [
  'model',
  'startedAt',
  'completedAt',
  'result',
  'error',
  'usage',
  'progress',
  'cancelRequested',
  'eventSequence',
] as const satisfies readonly (keyof JobPatch)[];
const ATTRIBUTE_BY_FIELD = new Map<string, string>(PATCH_FIELDS.map((field) => [field, ATTRIBUTES[field]]));

/** The attributes a patch sets, as [attribute name, value] pairs (undefined fields are left alone). */
export function patchToAttributes(patch: JobPatch): [string, unknown][] {
  const pairs: [string, unknown][] = [];
  for (const [field, value] of Object.entries(patch)) {
    const attribute = ATTRIBUTE_BY_FIELD.get(field);
    if (attribute !== undefined && value !== undefined) pairs.push([attribute, value]);
  }
  return pairs;
}
