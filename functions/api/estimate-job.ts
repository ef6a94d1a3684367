// The most a prepared job can be billed (shared/pricing.ts estimateMax), for POST /v1/jobs/estimate and for the
// spend reservation POST /v1/jobs makes before it queues a job.
import { PRICE_TABLE } from '../../shared/price-table.js';
import { estimateMax, modelPrice, type Estimate, type JobShape } from '../../shared/pricing.js';
import type { PreparedJob } from './prepare-request.js';

export function shapeOf(prepared: PreparedJob): JobShape {
  return {
    messages: prepared.messages.map((message) => ({
      textChars: message.content.reduce((sum, part) => sum + (part.type === 'text' ? part.text.length : 0), 0),
      images: message.content.filter((part) => part.type !== 'text').length,
    })),
    runs: prepared.output.n,
    mayDrawImage: prepared.output.modalities === null || prepared.output.modalities.includes('image'),
    steps: prepared.params.steps,
    maxTokens: prepared.params.maxTokens,
  };
}

export function estimateJob(prepared: PreparedJob): Estimate {
  const price = modelPrice(prepared.model);
  // createApp refuses to start with a served model that has no price.
  if (price === null) throw new Error(`model ${prepared.model} has no price`);
  return estimateMax(price, PRICE_TABLE.version, shapeOf(prepared));
}
