// The API's view of the events emitter (shared/events.ts createEventEmitter fits it): the API only says
// which event happened, not how events are built or queued.
import type { JobRecord } from '../../shared/job.js';

export interface JobEventEmitter {
  /** `sequence`: the one stored with the transition (stable event id on re-emission); reserved when absent. */
  emit(type: 'job.queued' | 'job.canceled', job: JobRecord, sequence?: number): Promise<unknown>;
}
