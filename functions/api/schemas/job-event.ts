// The event object (docs/architecture.md §4.4): the body of a webhook delivery and the `data:` of one events-stream event.
import { z } from '@hono/zod-openapi';
import { EVENT_TYPES } from '../../../shared/events.js';
import { JobResourceSchema } from './job-resource.js';

export const JobEventSchema = z
  .object({
    id: z
      .string()
      .openapi({ example: 'evt_01JD3V9X8M4Q2W7RZK5T0B6N1C', description: 'A function of (job id, sequence): the same event has the same id on every channel.' }),
    type: z.enum(EVENT_TYPES),
    created_at: z.string(),
    sequence: z.number().int().openapi({ description: "Strictly increasing within a job's events." }),
    data: JobResourceSchema,
  })
  .openapi('JobEvent');

export type JobEventBody = z.infer<typeof JobEventSchema>;
