// Job row → the runtime's request: claim-checked images read from S3, image URLs fetched through the guard.
import type { JobRecord, StoredPart } from '../../shared/job.js';
import type { ObjectStore } from '../../shared/ports.js';
import type { ModelMessage, ModelPart, ModelRequest } from '../model/types.js';
import { InputError } from './failures.js';

/**
 * Fetches an https image URL for a job. Throws InputError when the URL is refused or its content is not an
 * image (the customer's fault); any other error counts as transient.
 */
export type ImageFetcher = (url: string) => Promise<Uint8Array>;

export interface InputDeps {
  store: ObjectStore;
  fetchImage: ImageFetcher;
}

async function resolvePart(part: StoredPart, deps: InputDeps): Promise<ModelPart> {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image': {
      const data = await deps.store.get(part.key);
      // The API stores inputs before it queues the job, so a missing object is a lost input, not a race.
      if (data === null) throw new InputError('missing_input', `input object ${part.key} does not exist`);
      return { type: 'image', data };
    }
    case 'image_url':
      return { type: 'image', data: await deps.fetchImage(part.url) };
  }
}

export async function resolveMessages(job: JobRecord, deps: InputDeps): Promise<ModelMessage[]> {
  return Promise.all(
    job.messages.map(async (message) => ({
      role: message.role,
      content: await Promise.all(message.content.map((part) => resolvePart(part, deps))),
    })),
  );
}

export function toModelRequest(job: JobRecord, messages: ModelMessage[]): ModelRequest {
  return {
    messages,
    modalities: job.output.modalities,
    format: job.output.format,
    seed: job.params.seed,
    ...(job.params.steps === undefined ? {} : { steps: job.params.steps }),
    ...(job.params.guidance === undefined ? {} : { guidance: job.params.guidance }),
    temperature: job.params.temperature,
    topP: job.params.topP,
    maxTokens: job.params.maxTokens,
  };
}

/**
 * Jobs that may share one runBatch call. The runtime groups a batch per stage itself (decoder kind, step
 * count), so every job for the loaded bundle is compatible; the key keeps a worker that serves several
 * model versions during a rollout from mixing them.
 */
export function batchKey(job: JobRecord): string {
  return job.model;
}
