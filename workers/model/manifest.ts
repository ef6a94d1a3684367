// manifest.json: parsed and validated once at load (models/BUNDLE.md), every file checked against its sha256.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { ModelError } from './errors.js';

const fileEntry = z.object({
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  inputs: z.array(z.string()).optional(),
  outputs: z.array(z.string()).optional(),
});

/** A graph over 2 GB keeps its weights beside it (ONNX external data); each such file is verified too. */
const externalData = z.array(z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).optional();

const stageEntry = fileEntry.extend({ inputs: z.array(z.string()).min(1), outputs: z.array(z.string()).min(1), external_data: externalData });

const positiveInt = z.number().int().positive();
const positiveTriple = z.tuple([positiveInt, positiveInt, positiveInt]);

/**
 * `architecture: "nexus-gen"` (models/nexus-gen/convert.py): the published Nexus-Gen's Qwen2.5-VL + FLUX stages.
 * Absent for format-1 bundles such as nexus-mini, whose behaviour the rest of the manifest describes.
 */
export const nexusGenArchitecture = z.object({
  name: z.literal('nexus-gen'),
  weights_dtype: z.enum(['fp32', 'fp16', 'bf16']),
  text: z.object({
    num_attention_heads: z.number().int().positive(),
    num_key_value_heads: z.number().int().positive(),
    rope: z.literal('mrope'),
    mrope_section: positiveTriple,
    rope_theta: z.number().positive(),
    /** Ids at or above this are rows of lm_head without a token: never sampled. */
    tokenizer_vocab_size: z.number().int().positive(),
  }),
  vision: z.object({
    patch_size: z.number().int().positive(),
    temporal_patch_size: z.number().int().positive(),
    spatial_merge_size: z.number().int().positive(),
    window_size: z.number().int().positive(),
    image_mean: z.tuple([z.number(), z.number(), z.number()]),
    image_std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]),
    min_pixels: z.number().int().positive(),
    max_pixels: z.number().int().positive(),
  }),
  prefill: z.object({ tokens: z.number().int().positive(), grid_thw: positiveTriple, first_id: z.number().int().nonnegative() }),
  edit: z.object({ source_grid_thw: positiveTriple, source_size: z.number().int().positive() }),
  diffusion: z.object({
    schedule: z.literal('flow-match-shift'),
    shift: z.number().positive(),
    sigma_min: z.number().nonnegative(),
    timestep_input: z.literal('sigma'),
    embedded_guidance: z.number().nonnegative(),
    image_size: z.number().int().positive(),
    vae_scale: z.number().int().positive(),
    /** How the guidance (null) branch is conditioned; null: not exported, so guidance must be 1. */
    null_condition: z.null(),
  }),
});
export type NexusGenArchitecture = z.infer<typeof nexusGenArchitecture>;

const samplingDefaults = z.object({ steps: z.number().int().positive(), guidance: z.number().nonnegative() });

const manifestSchema = z
  .object({
    format: z.literal(1),
    name: z.string().min(1),
    version: z.string().min(1),
    image: z.object({
      size: z.number().int().positive(),
      channels: z.literal(3),
      pixel_range: z.tuple([z.number(), z.number()]),
    }),
    image_tokens: z.number().int().positive(),
    image_grid: z.tuple([z.number().int().positive(), z.number().int().positive()]),
    embed_dim: z.number().int().positive(),
    hidden_size: z.number().int().positive(),
    num_layers: z.number().int().positive(),
    num_heads: z.number().int().positive(),
    head_dim: z.number().int().positive(),
    max_positions: z.number().int().positive(),
    vocab_size: z.number().int().positive(),
    special_tokens: z.object({
      boi: z.number().int().nonnegative(),
      eoi: z.number().int().nonnegative(),
      image_pad: z.number().int().nonnegative(),
      prefill: z.number().int().nonnegative(),
      im_start: z.number().int().nonnegative(),
      im_end: z.number().int().nonnegative(),
      pad: z.number().int().nonnegative(),
    }),
    chat_template: z.object({
      default_system: z.string(),
      turn_prefix: z.string(),
      turn_suffix: z.string(),
      image: z.string(),
      generation_prompt: z.string(),
    }),
    decoder: z.object({
      space: z.enum(['pixels', 'latent']),
      channels: z.number().int().positive(),
      height: z.number().int().positive(),
      width: z.number().int().positive(),
    }),
    defaults: z.object({
      generation: samplingDefaults,
      editing: samplingDefaults,
      temperature: z.number().nonnegative(),
      top_p: z.number().gt(0).lte(1),
      max_tokens: z.number().int().positive(),
    }),
    files: z.object({
      tokenizer: fileEntry,
      vision_encoder: stageEntry,
      token_embedding: stageEntry,
      transformer: stageEntry,
      gen_decoder: stageEntry,
      edit_decoder: stageEntry,
      vae_decoder: stageEntry.optional(),
      goldens: fileEntry.optional(),
    }),
    architecture: nexusGenArchitecture.optional(),
  })
  .superRefine((m, ctx) => {
    if (m.image_grid[0] * m.image_grid[1] !== m.image_tokens) {
      ctx.addIssue({ code: 'custom', message: 'image_grid rows*cols must equal image_tokens', path: ['image_grid'] });
    }
    if (m.embed_dim !== m.hidden_size) {
      ctx.addIssue({ code: 'custom', message: 'format 1 has no projector: embed_dim must equal hidden_size', path: ['embed_dim'] });
    }
    if (m.architecture !== undefined && m.architecture.prefill.tokens !== m.image_tokens) {
      ctx.addIssue({ code: 'custom', message: 'architecture.prefill.tokens must equal image_tokens', path: ['architecture', 'prefill', 'tokens'] });
    }
    if (m.decoder.space === 'latent' && m.files.vae_decoder === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a latent decoder needs files.vae_decoder', path: ['files', 'vae_decoder'] });
    }
  });

export type Manifest = z.infer<typeof manifestSchema>;
export type StageName = 'vision_encoder' | 'token_embedding' | 'transformer' | 'gen_decoder' | 'edit_decoder' | 'vae_decoder';

export function parseManifest(json: unknown): Manifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ModelError('bundle_invalid', `manifest.json is invalid: ${detail}`);
  }
  return parsed.data;
}

/** Resolves a manifest path inside the bundle folder; a path that escapes it is a broken bundle. */
export function bundlePath(bundleDir: string, relative: string): string {
  const root = resolve(bundleDir);
  const full = resolve(join(root, relative));
  if (!full.startsWith(root + sep)) throw new ModelError('bundle_invalid', `bundle file path escapes the bundle: ${relative}`);
  return full;
}

export async function readManifest(bundleDir: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(bundlePath(bundleDir, 'manifest.json'), 'utf8');
  } catch (cause) {
    throw new ModelError('bundle_invalid', `cannot read manifest.json in ${bundleDir}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ModelError('bundle_invalid', 'manifest.json is not valid JSON', { cause });
  }
  return parseManifest(json);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

async function verifyFile(bundleDir: string, part: { path: string; sha256: string }, key: string, verify: boolean): Promise<void> {
  const full = bundlePath(bundleDir, part.path);
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(full)) hash.update(chunk as Buffer);
  } catch (cause) {
    throw new ModelError('bundle_invalid', `bundle file ${part.path} (${key}) cannot be read`, { cause });
  }
  const actual = hash.digest('hex');
  if (verify && actual !== part.sha256) {
    throw new ModelError('checksum_mismatch', `bundle file ${part.path} has sha256 ${actual}, manifest says ${part.sha256}`);
  }
}

/** Reads every file the manifest lists; with `verify`, fails on the first sha256 mismatch. */
export async function readBundleFiles(bundleDir: string, manifest: Manifest, verify: boolean): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const [key, entry] of Object.entries(manifest.files)) {
    if (entry === undefined) continue;
    if ('external_data' in entry && entry.external_data !== undefined) {
      // Graphs with external data load from their path (sessions.ts); only their checksums are read here.
      for (const part of [{ path: entry.path, sha256: entry.sha256 }, ...entry.external_data]) await verifyFile(bundleDir, part, key, verify);
      continue;
    }
    let data: Uint8Array;
    try {
      data = await readFile(bundlePath(bundleDir, entry.path));
    } catch (cause) {
      throw new ModelError('bundle_invalid', `bundle file ${entry.path} (${key}) cannot be read`, { cause });
    }
    if (verify) {
      const actual = sha256Hex(data);
      if (actual !== entry.sha256) {
        throw new ModelError('checksum_mismatch', `bundle file ${entry.path} has sha256 ${actual}, manifest says ${entry.sha256}`);
      }
    }
    files.set(key, data);
  }
  return files;
}
