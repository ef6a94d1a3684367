// Model results → S3 objects under deterministic keys (a re-run after a crash overwrites, never duplicates).
import type { JobOutput, JobRecord, OutputImage, Usage } from '../../shared/job.js';
import { outputKey } from '../../shared/object-keys.js';
import type { ObjectStore } from '../../shared/ports.js';
import type { ModelResult } from '../model/types.js';

/** One job may ask for n images: it runs as n requests (seed, seed+1, …); their results merge here. */
export async function storeOutputs(job: JobRecord, results: ModelResult[], store: ObjectStore): Promise<JobOutput> {
  const images = results.flatMap((result) => result.images);
  const stored: OutputImage[] = await Promise.all(
    images.map(async (image, index) => {
      const key = outputKey(job.tenant, job.id, index, image.mediaType);
      await store.put(key, image.data, image.mediaType);
      return { key, width: image.width, height: image.height, sha256: image.sha256, seed: image.seed, mediaType: image.mediaType };
    }),
  );
  return { text: results[0]?.text ?? '', images: stored };
}

export function usageOf(results: ModelResult[], computeMs: number): Usage {
  return {
    inputTokens: results.reduce((sum, result) => sum + result.inputTokens, 0),
    outputTokens: results.reduce((sum, result) => sum + result.outputTokens, 0),
    images: results.reduce((sum, result) => sum + result.images.length, 0),
    computeMs: Math.round(computeMs),
    billable: true,
  };
}
