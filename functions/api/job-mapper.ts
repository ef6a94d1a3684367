// The one mapping from the stored job (camelCase) to the wire resource (snake_case, docs/architecture.md §4.2).
import type { JobRecord } from '../../shared/job.js';
import type { ObjectStore } from '../../shared/ports.js';
import type { JobResource } from './schemas/job-resource.js';

export interface MapOptions {
  objects: ObjectStore;
  presignTtlSeconds: number;
  now: () => Date;
  queuePosition?: number | null;
}

async function mapOutput(job: JobRecord, options: MapOptions): Promise<JobResource['output']> {
  if (job.result === null) return null;
  const expiresAt = new Date(options.now().getTime() + options.presignTtlSeconds * 1000).toISOString();
  const content: NonNullable<JobResource['output']>['content'] = [];
  if (job.result.text !== '') content.push({ type: 'text', text: job.result.text });
  const images = await Promise.all(
    job.result.images.map(async (image) => ({
      type: 'image_url' as const,
      image_url: { url: await options.objects.presignGet(image.key, options.presignTtlSeconds), expires_at: expiresAt },
      width: image.width,
      height: image.height,
      sha256: image.sha256,
      seed: image.seed,
    })),
  );
  content.push(...images);
  return { role: 'assistant', content };
}

export async function toJobResource(job: JobRecord, options: MapOptions): Promise<JobResource> {
  return {
    id: job.id,
    object: 'job',
    model: job.model,
    status: job.status,
    created_at: job.createdAt,
    started_at: job.startedAt,
    completed_at: job.completedAt,
    progress: job.progress,
    queue_position: job.status === 'queued' ? (options.queuePosition ?? null) : null,
    cancel_requested: job.cancelRequested,
    output: await mapOutput(job, options),
    error: job.error,
    usage:
      job.usage === null
        ? null
        : {
            input_tokens: job.usage.inputTokens,
            output_tokens: job.usage.outputTokens,
            images: job.usage.images,
            compute_ms: job.usage.computeMs,
            billable: job.usage.billable,
            cost_usd_micros: job.usage.costUsdMicros,
            price_version: job.usage.priceVersion,
          },
    webhook: job.webhook,
    metadata: job.metadata,
  };
}
