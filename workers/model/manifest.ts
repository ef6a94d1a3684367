// manifest.json: parsed and validated once at load (models/BUNDLE.md), every file checked against its sha256.
import { createHash } from 'node:crypto';
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

const stageEntry = fileEntry.extend({ inputs: z.array(z.string()).min(1), outputs: z.array(z.string()).min(1) });

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
  })
  .superRefine((m, ctx) => {
    if (m.image_grid[0] * m.image_grid[1] !== m.image_tokens) {
      ctx.addIssue({ code: 'custom', message: 'image_grid rows*cols must equal image_tokens', path: ['image_grid'] });
    }
    if (m.embed_dim !== m.hidden_size) {
      ctx.addIssue({ code: 'custom', message: 'format 1 has no projector: embed_dim must equal hidden_size', path: ['embed_dim'] });
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

/** Reads every file the manifest lists; with `verify`, fails on the first sha256 mismatch. */
export async function readBundleFiles(bundleDir: string, manifest: Manifest, verify: boolean): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const [key, entry] of Object.entries(manifest.files)) {
    if (entry === undefined) continue;
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
