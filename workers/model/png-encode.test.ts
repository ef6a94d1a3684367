import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng } from './png-encode.js';

const pattern = (width: number, height: number): Uint8Array => Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + (i >> 7)) % 256);

async function decode(png: Uint8Array): Promise<{ rgb: number[]; width: number; height: number; channels: number }> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { rgb: Array.from(data), width: info.width, height: info.height, channels: info.channels };
}

describe('PNG writer', () => {
  it('writes a PNG that decodes to the exact pixels (small image, deflated on the calling thread)', async () => {
    const rgb = pattern(5, 3);
    const png = await encodePng(rgb, 5, 3);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(await decode(png)).toEqual({ rgb: Array.from(rgb), width: 5, height: 3, channels: 3 });
  });

  it('decodes exactly past the size deflated on the thread pool', async () => {
    const rgb = pattern(320, 300);
    expect(await decode(await encodePng(rgb, 320, 300))).toEqual({ rgb: Array.from(rgb), width: 320, height: 300, channels: 3 });
  });

  it('gives the same bytes for the same pixels and rejects a wrong byte count', async () => {
    const rgb = pattern(8, 8);
    expect(Buffer.from(await encodePng(rgb, 8, 8)).equals(Buffer.from(await encodePng(rgb, 8, 8)))).toBe(true);
    await expect(encodePng(rgb, 8, 7)).rejects.toThrow('expected 168 RGB bytes, got 192');
  });
});
