// The API's view of the events emitter (shared/events.ts, owned by the webhooks part): the entry files
// adapt it to this shape, so the API does not depend on how events are built or queued.
import type { JobRecord } from '../../shared/job.js';

export interface JobEventEmitter {
  emit(type: 'job.queued' | 'job.canceled', job: JobRecord): Promise<void>;
}
