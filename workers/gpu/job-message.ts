// The jobs-queue body (docs/architecture.md §4.5), checked once where it enters the worker.
import { z } from 'zod';
import type { JobMessage } from '../../shared/job.js';

const schema = z.object({
  v: z.literal(1),
  job_id: z.string().regex(/^job_[0-9A-Za-z]+$/),
  tenant: z.string().min(1).max(128),
  model: z.string().min(1),
  attempt: z.number().int().min(0),
});

export function parseJobMessage(raw: unknown): JobMessage {
  return schema.parse(raw);
}
