import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenizer } from '../../workers/model/tokenizer.js';
import type { DatasetRecord } from './dataset.js';
import { decodeImage, encodePng } from './png.js';
import { renderScene } from './render.js';
import { writeDataset } from './write-dataset.js';

const dirs: string[] = [];
async function write(n: number, seed: number): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'world-'));
  dirs.push(out);
  await writeDataset({ out, n, seed, split: 'val' });
  return out;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('writeDataset', () => {
  it('writes records whose ids, spans and images agree, and PNGs that decode to the renders', async () => {
    const out = await write(60, 3);
    const records = (await readFile(join(out, 'val.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l): DatasetRecord => JSON.parse(l));
    const world = JSON.parse(await readFile(join(out, 'world.json'), 'utf8'));
    const tokenizer = createTokenizer(await readFile(join(out, 'tokenizer.json'), 'utf8'));
    expect(records).toHaveLength(60);
    expect(world).toMatchObject({ size: 64, image_tokens: 16, special_tokens: { image_pad: 6, prefill: 7, boi: 4, eoi: 5 }, vocab_size: tokenizer.vocabSize });
    expect(records[0]?.id).toBe('val-000000');
    for (const r of records) {
      expect(r.image_spans.map((s) => s.image)).toEqual(r.images.map((_, k) => k));
      for (const span of r.image_spans) {
        const slots = r.input_ids.slice(span.start, span.start + span.length);
        expect(slots).toEqual(span.kind === 'input' ? new Array(16).fill(6) : Array.from({ length: 16 }, (_, k) => 7 + k));
        expect([r.input_ids[span.start - 1], r.input_ids[span.start + 16]]).toEqual([4, 5]);
      }
      expect(r.input_ids.at(-2)).toBe(3);
      expect(r.input_ids.slice(r.loss_start - 3, r.loss_start)).toEqual([2, tokenizer.tokenToId('assistant'), tokenizer.tokenToId('\n')]);
      if (r.answer !== null) expect(tokenizer.decode(r.input_ids.slice(r.loss_start, -2))).toBe(r.answer);
    }
    const edit = records.find((r) => r.task === 'editing');
    if (edit === undefined || edit.target_scene === null) throw new Error('60 records include an edit');
    const { data, info } = await sharp(join(out, edit.images[1] ?? ''))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([64, 64, 3]);
    expect(Buffer.compare(data, Buffer.from(renderScene(edit.target_scene).rgb))).toBe(0);
  });

  it('is deterministic by seed', async () => {
    const [a, b, c] = await Promise.all([write(30, 5), write(30, 5), write(30, 6)]);
    const text = (d: string | undefined): Promise<string> => readFile(join(d ?? '', 'val.jsonl'), 'utf8');
    expect(await text(a)).toBe(await text(b));
    expect(await text(a)).not.toBe(await text(c));
  });
});

describe('png', () => {
  it('encodes and decodes a render losslessly, and resamples other sizes to 64×64', async () => {
    const scene = { background: [16, 16, 16] as const, shapes: [{ shape: 'square' as const, colour: 'green' as const, size: 'large' as const, cell: 4, dx: 0, dy: 0 }] };
    const image = renderScene(scene);
    const decoded = await decodeImage(await encodePng(image));
    expect(Buffer.compare(Buffer.from(decoded.rgb), Buffer.from(image.rgb))).toBe(0);
    const doubled = await sharp(image.rgb, { raw: { width: 64, height: 64, channels: 3 } })
      .resize(128, 128, { kernel: 'nearest' })
      .ensureAlpha()
      .png()
      .toBuffer();
    const back = await decodeImage(doubled);
    expect([back.width, back.height]).toEqual([64, 64]);
    expect(Buffer.compare(Buffer.from(back.rgb), Buffer.from(image.rgb))).toBe(0);
  });
});
