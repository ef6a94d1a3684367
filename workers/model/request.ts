// Request checks and the per-request choices the runtime makes (image policy, decoder, steps, guidance).
import { ModelError } from './errors.js';
import type { Manifest } from './manifest.js';
import type { ImagePolicy } from './autoregressive.js';
import type { ModelRequest } from './types.js';

export function validateRequest(r: ModelRequest, manifest: Manifest): void {
  const bad = (message: string): never => {
    throw new ModelError('invalid_request', message);
  };
  if (!Number.isSafeInteger(r.seed) || r.seed < 0) bad(`seed must be a non-negative integer, got ${r.seed}`);
  if (!Number.isFinite(r.temperature) || r.temperature < 0) bad('temperature must be >= 0');
  if (!Number.isFinite(r.topP) || r.topP <= 0 || r.topP > 1) bad('top_p must be in (0, 1]');
  if (!Number.isInteger(r.maxTokens) || r.maxTokens < 1 || r.maxTokens > manifest.max_positions) bad(`max_tokens must be 1..${manifest.max_positions}`);
  if (r.steps !== undefined && (!Number.isInteger(r.steps) || r.steps < 1 || r.steps > 1000)) bad('steps must be 1..1000');
  if (r.guidance !== undefined && (!Number.isFinite(r.guidance) || r.guidance < 0 || r.guidance > 30)) bad('guidance must be 0..30');
  if (!['png', 'jpeg', 'webp'].includes(r.format)) bad(`unknown format ${r.format}`);
}

/** null → the model decides; any list naming 'image' forces one; a list without it forbids one. */
export function imagePolicy(modalities: ModelRequest['modalities']): ImagePolicy {
  if (modalities === null) return 'auto';
  return modalities.includes('image') ? 'force' : 'forbid';
}

export type DecoderKind = 'generation' | 'editing';

export interface DiffusionPlan {
  kind: DecoderKind;
  steps: number;
  guidance: number;
}

/** A conversation that holds an image edits it (the most recent image is the source); otherwise it generates. */
export function diffusionPlan(r: ModelRequest, hasSourceImage: boolean, manifest: Manifest): DiffusionPlan {
  const kind: DecoderKind = hasSourceImage ? 'editing' : 'generation';
  const defaults = manifest.defaults[kind];
  return { kind, steps: r.steps ?? defaults.steps, guidance: r.guidance ?? defaults.guidance };
}
