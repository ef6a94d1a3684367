import { describe, expect, it } from 'vitest';
import { exampleManifestJson } from '../../test/support/manifest-example.js';
import { bundlePath, parseManifest } from './manifest.js';

describe('manifest', () => {
  it('accepts the contract example', () => {
    const m = parseManifest(exampleManifestJson());
    expect(m.special_tokens.prefill).toBe(7);
    expect(m.files.transformer.inputs).toContain('past_key_values.1.value');
  });

  it.each([
    ['image_grid does not multiply to image_tokens', { image_grid: [2, 2] }, /image_grid/],
    ['embed_dim differs from hidden_size', { embed_dim: 16 }, /embed_dim/],
    ['a latent decoder without a VAE', { decoder: { space: 'latent', channels: 16, height: 8, width: 8 } }, /vae_decoder/],
    ['an unknown format', { format: 2 }, /format/],
  ])('rejects %s', (_, patch, message) => {
    expect(() => parseManifest({ ...exampleManifestJson(), ...patch })).toThrow(message);
  });

  it('accepts a nexus-gen architecture section and checks it against the format-1 fields', () => {
    const architecture = {
      name: 'nexus-gen',
      weights_dtype: 'fp16',
      text: { num_attention_heads: 28, num_key_value_heads: 4, rope: 'mrope', mrope_section: [16, 24, 24], rope_theta: 1e6, tokenizer_vocab_size: 151665 },
      vision: {
        patch_size: 14,
        temporal_patch_size: 2,
        spatial_merge_size: 2,
        window_size: 112,
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.3, 0.3, 0.3],
        min_pixels: 3136,
        max_pixels: 1003520,
      },
      prefill: { tokens: 3, grid_thw: [1, 2, 6], first_id: 40 },
      edit: { source_grid_thw: [1, 36, 36], source_size: 504 },
      diffusion: {
        schedule: 'flow-match-shift',
        shift: 3,
        sigma_min: 0.003,
        timestep_input: 'sigma',
        embedded_guidance: 3.5,
        image_size: 512,
        vae_scale: 8,
        null_condition: null,
      },
    };
    expect(parseManifest({ ...exampleManifestJson(), architecture }).architecture?.text.num_key_value_heads).toBe(4);
    expect(() => parseManifest({ ...exampleManifestJson(), architecture: { ...architecture, prefill: { ...architecture.prefill, tokens: 81 } } })).toThrow(
      /architecture\.prefill\.tokens/,
    );
    expect(() => parseManifest({ ...exampleManifestJson(), architecture: { ...architecture, name: 'other' } })).toThrow(/architecture\.name/);
  });

  it('rejects a bad sha256 and names the field', () => {
    const json = exampleManifestJson();
    const files = { ...json.files, tokenizer: { path: 'tokenizer.json', sha256: 'xyz' } };
    expect(() => parseManifest({ ...json, files })).toThrow(/files\.tokenizer\.sha256/);
  });

  it('keeps file paths inside the bundle', () => {
    expect(bundlePath('/b', 'x/y.onnx')).toBe('/b/x/y.onnx');
    expect(() => bundlePath('/b', '../etc/passwd')).toThrow(/escapes/);
  });
});
