// Model results → S3 objects under deterministic keys (a re-run after a crash overwrites, never duplicates).
import type { JobOutput, JobRecord, OutputImage, Usage } from '../../shared/job.js';
import { outputKey } from '../../shared/object-keys.js';
import type { ObjectStore } from '../../shared/ports.js';
import { PRICE_TABLE } from '../../shared/price-table.js';
import { modelPrice, priceMicros } from '../../shared/pricing.js';
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

/** What the job used, and its price (shared/pricing.ts) at the steps it ran: its own, or the model's default. */
export function usageOf(job: Pick<JobRecord, 'model' | 'params'>, results: ModelResult[], computeMs: number): Usage {
  const images = results.flatMap((result) => result.images);
  const used = {
    inputTokens: results.reduce((sum, result) => sum + result.inputTokens, 0),
    outputTokens: results.reduce((sum, result) => sum + result.outputTokens, 0),
    images: images.length,
  };
  const price = modelPrice(job.model);
  const billable = {
    ...used,
    pixels: Math.max(0, ...images.map((image) => image.width * image.height)),
    steps: job.params.steps ?? price?.defaultSteps ?? 0,
  };
  return {
    ...used,
    computeMs: Math.round(computeMs),
    billable: true,
    costUsdMicros: price === null ? 0 : priceMicros(price, billable),
    priceVersion: price === null ? null : PRICE_TABLE.version,
  };
}
