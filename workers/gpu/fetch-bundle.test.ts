import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
import { BundleFetchError, fetchBundle, parseBundleUri } from './fetch-bundle.js';

let stack: LocalStack;
let dir: string;
const encoder = new TextEncoder();
const sha = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const tokenizer = encoder.encode('{"model":{}}');
const weights = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

async function putBundle(prefix: string, manifestShas: { tokenizer: string; weights: string }): Promise<void> {
  const manifest = {
    name: 'nexus-mini',
    files: {
      tokenizer: { path: 'tokenizer.json', sha256: manifestShas.tokenizer },
      transformer: { path: 'onnx/transformer.onnx', sha256: manifestShas.weights, inputs: ['x'] },
    },
  };
  await stack.objects.put(`${prefix}/manifest.json`, encoder.encode(JSON.stringify(manifest)), 'application/json');
  await stack.objects.put(`${prefix}/tokenizer.json`, tokenizer, 'application/json');
  await stack.objects.put(`${prefix}/onnx/transformer.onnx`, weights, 'application/octet-stream');
}

beforeAll(async () => {
  stack = await startLocalStack();
  dir = await mkdtemp(join(tmpdir(), 'bundle-'));
});
afterAll(async () => {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('fetchBundle', () => {
  it('downloads every manifest file, verified, and keeps matching files on the next start', async () => {
    await putBundle('models/nexus-mini/1.0.0', { tokenizer: sha(tokenizer), weights: sha(weights) });
    const target = join(dir, 'ok');
    expect(await fetchBundle(stack.objects, 'models/nexus-mini/1.0.0/', target)).toEqual({
      downloaded: ['tokenizer.json', 'onnx/transformer.onnx'],
      kept: [],
    });
    expect(new Uint8Array(await readFile(join(target, 'onnx/transformer.onnx')))).toEqual(weights);
    expect((await stat(join(target, 'manifest.json'))).size).toBeGreaterThan(0);
    expect(await fetchBundle(stack.objects, 'models/nexus-mini/1.0.0', target)).toEqual({
      downloaded: [],
      kept: ['tokenizer.json', 'onnx/transformer.onnx'],
    });
  });

  it('refuses a file whose sha256 differs from the manifest, leaving no file behind', async () => {
    await putBundle('models/bad/1', { tokenizer: sha(tokenizer), weights: sha(new Uint8Array([9])) });
    const target = join(dir, 'bad');
    await expect(fetchBundle(stack.objects, 'models/bad/1', target)).rejects.toThrow(/sha256 mismatch for onnx\/transformer.onnx/);
    await expect(stat(join(target, 'onnx/transformer.onnx'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a missing manifest', async () => {
    await expect(fetchBundle(stack.objects, 'models/none/1', join(dir, 'none'))).rejects.toBeInstanceOf(BundleFetchError);
  });
});

describe('parseBundleUri', () => {
  it('splits bucket and prefix', () => {
    expect(parseBundleUri('s3://nexus-models/models/nexus-mini/1.0.0/')).toEqual({ bucket: 'nexus-models', prefix: 'models/nexus-mini/1.0.0' });
    expect(() => parseBundleUri('https://example.com/x')).toThrow(BundleFetchError);
  });
});
