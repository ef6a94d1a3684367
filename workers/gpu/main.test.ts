// The container entry on CPU, as the image runs it: `node --import tsx workers/gpu/main.ts` with the bundle
// fetched from an S3 prefix (local s3rver) and verified by sha256 before loading; a tampered bundle fails
// the start (exit 1); SIGTERM exits 0.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';
import { bundleDir, healthState, spawnWorker } from '../../test/reliability/support.js';

const dir = bundleDir('workers/gpu/main.test.ts');
let stack: LocalStack;
let scratch: string;

async function upload(prefix: string, tamper: boolean): Promise<void> {
  for (const name of await readdir(dir ?? '')) {
    let bytes = new Uint8Array(await readFile(join(dir ?? '', name)));
    if (tamper && name === 'tokenizer.json') bytes = new Uint8Array([...bytes, 0x20]);
    await stack.objects.put(`${prefix}/${name}`, bytes, 'application/octet-stream');
  }
}

beforeAll(async () => {
  stack = await startLocalStack();
  scratch = await mkdtemp(join(tmpdir(), 'worker-entry-'));
});
afterAll(async () => {
  await stack.stop();
  await rm(scratch, { recursive: true, force: true });
});

describe.skipIf(dir === null)('workers/gpu/main.ts', () => {
  it('fetches the bundle from S3, verifies it, serves health, and exits 0 on SIGTERM', { timeout: 120_000 }, async () => {
    await upload('models/nexus-mini/test', false);
    const child = spawnWorker(stack, join(scratch, 'ok'), {
      MODEL_BUNDLE_URI: `s3://${stack.resources.bucket}/models/nexus-mini/test`,
      MODEL_BUNDLE_DIR: join(scratch, 'ok'),
    });
    const port = await child.ready;
    expect(await healthState(port)).toBe('ready');
    expect(child.output.join('')).toMatch(/"event":"bundle_fetched".*"downloaded":\d+,"kept":0/);
    child.process.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 0, signal: null });
  });

  it('refuses to start on a bundle whose file does not match the manifest sha256 (exit 1)', { timeout: 120_000 }, async () => {
    await upload('models/nexus-mini/tampered', true);
    const child = spawnWorker(stack, join(scratch, 'bad'), {
      MODEL_BUNDLE_URI: `s3://${stack.resources.bucket}/models/nexus-mini/tampered`,
      MODEL_BUNDLE_DIR: join(scratch, 'bad'),
    });
    expect(await child.exited).toEqual({ code: 1, signal: null });
    expect(child.output.join('')).toMatch(/"event":"start_failed".*sha256 mismatch for tokenizer\.json/);
  });
});
