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
