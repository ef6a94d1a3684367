// The Nexus-Gen parity check in CI: reduced random checkpoint in the published layout → convert.py → the TS
// runtime against the PyTorch reference (1e-3 relative, identical greedy ids and image bytes). Also: a checkpoint
// with a missing and an unexpected parameter name fails the conversion and names both.
import { execFile, execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNexusGenParity, type NexusGenParityReport } from './parity.js';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const PYTHON = '/usr/bin/python3';

function pythonReady(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const ready = pythonReady();
if (!ready) console.warn('nexus-gen parity skipped: /usr/bin/python3 lacks torch/onnx/numpy (apt: python3-torch python3-onnx)');

/** Rewrites a safetensors header: drops `drop`, adds `add` as an alias of `like`'s bytes. */
async function editSafetensors(path: string, drop: string, add: string, like: string): Promise<void> {
  const bytes = await readFile(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
  const source = header[like];
  if (source === undefined) throw new Error(`${like} is not in ${path}`);
  delete header[drop];
  header[add] = source;
  const text = Buffer.from(JSON.stringify(header).padEnd(n, ' '));
  if (text.length !== n) throw new Error('the edited header must not grow');
  await writeFile(path, Buffer.concat([bytes.subarray(0, 8), text, bytes.subarray(8 + n)]));
}

describe.skipIf(!ready)('nexus-gen parity with the PyTorch reference', () => {
  const work = join(root, '.cache/nexus-gen');
  let report: NexusGenParityReport;
  let scratch: string;

  beforeAll(async () => {
    report = await runNexusGenParity({ root, workDir: work, python: PYTHON });
    scratch = await mkdtemp(join(tmpdir(), 'nexus-gen-'));
  }, 180_000);
  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('matches logits, prefilled embeddings, velocity and image within 1e-3 relative', () => {
    expect(report.max_rel_err_logits).toBeLessThanOrEqual(1e-3);
    expect(report.max_rel_err_embeddings).toBeLessThanOrEqual(1e-3);
    expect(report.max_rel_err_velocity).toBeLessThanOrEqual(1e-3);
    expect(report.max_rel_err_image).toBeLessThanOrEqual(1e-3);
    expect(report.detail['max_rel_err_vision']).toBeLessThanOrEqual(1e-3);
  });

  it('decodes the same greedy ids and the same image bytes, with every parameter mapped', () => {
    expect(report.greedy_text_equal).toBe(true);
    expect((report.detail['greedy_ids'] as number[]).length).toBe(8);
    expect(report.image_sha256_equal).toBe(true);
    expect(report.unmapped_parameters).toBe(0);
  });

  it('refuses a checkpoint with a missing and an unexpected name, listing both', async () => {
    const ckpt = join(scratch, 'ckpt');
    await cp(join(work, 'ckpt'), ckpt, { recursive: true });
    await editSafetensors(join(ckpt, 'Nexus-GenV2/model.safetensors'), 'vision_head.weight', 'vision_tail.weight', 'lm_head.weight');
    const failure = await new Promise<string>((done) => {
      execFile(PYTHON, ['models/nexus-gen/convert.py', ckpt, join(scratch, 'bundle')], { cwd: root }, (error, _out, stderr) => done(error === null ? '' : stderr));
    });
    expect(failure).toMatch(/missing: ar:vision_head\.weight; unexpected: ar:vision_tail\.weight/);
  }, 60_000);
});
