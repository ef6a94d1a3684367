// The wire types, named: every one comes from the generated file (the API's own OpenAPI document), none is
// written by hand here.
import type { components, paths } from './generated/api.js';

type Schemas = components['schemas'];

export type Job = Schemas['Job'];
export type JobStatus = Job['status'];
export type JobRequest = Schemas['JobRequest'];
export type JobList = Schemas['JobList'];
export type JobEvent = Schemas['JobEvent'];
export type JobEventType = JobEvent['type'];
export type Message = Schemas['Message'];
export type ContentPart = Schemas['ContentPart'];
export type OutputSpec = Schemas['OutputSpec'];
export type Params = Schemas['Params'];
export type WebhookSpec = NonNullable<Schemas['WebhookSpec']>;
export type Model = Schemas['Model'];
export type Upload = Schemas['Upload'];
export type UploadRequest = Schemas['UploadRequest'];
export type ErrorEnvelope = Schemas['Error'];
export type OutputPart = NonNullable<Job['output']>['content'][number];
export type OutputImage = Extract<OutputPart, { type: 'image_url' }>;
export type UsageReport = Schemas['UsageReport'];
export type ModelList = paths['/v1/models']['get']['responses'][200]['content']['application/json'];

export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled', 'expired'];
export const isFinal = (job: Pick<Job, 'status'>): boolean => FINAL_STATUSES.includes(job.status);
