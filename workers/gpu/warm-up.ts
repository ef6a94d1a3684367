// One small request through every stage at start, so the first customer job does not pay for lazy
// initialisation (session warm-up, allocator growth) and a broken bundle fails the start, not a job.
import type { LoadedModel, ModelRequest } from '../model/types.js';

export const WARM_UP_REQUEST: ModelRequest = {
  messages: [{ role: 'user', content: [{ type: 'text', text: 'Generate an image according to the following description: a red circle' }] }],
  modalities: ['image'],
  format: 'png',
  seed: 0,
  steps: 1,
  temperature: 0,
  topP: 1,
  maxTokens: 8,
};

/** Returns the warm-up time in ms. */
export async function warmUp(model: Pick<LoadedModel, 'run'>): Promise<number> {
  const started = performance.now();
  await model.run(WARM_UP_REQUEST);
  return Math.round(performance.now() - started);
}
