import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeImage, pixelValuesToRgb } from './image-codec.js';
import { decodeToRgb, rgbToPixelValues } from './vision.js';

const range = [-1, 1] as const;

describe('vision preprocessing and output codecs', () => {
  it('maps bytes onto the pixel range in CHW order', () => {
    const rgb = Uint8Array.from([0, 255, 51]);
    const px = rgbToPixelValues(rgb, 1, { size: 1, pixelRange: range });
    expect(Array.from(px)).toEqual([-1, 1, Math.fround(51 * (2 / 255) - 1)]);
  });

  it('round-trips pixels exactly through the range mapping and PNG', async () => {
    const size = 4;
    const rgb = Uint8Array.from({ length: size * size * 3 }, (_, i) => (i * 37) % 256);
    const chw = rgbToPixelValues(rgb, size, { size, pixelRange: range });
    expect(Array.from(pixelValuesToRgb(chw, 0, size, size, range))).toEqual(Array.from(rgb));
    const png = await encodeImage(rgb, size, size, 'png', 5);
    expect(png.mediaType).toBe('image/png');
    expect(Array.from(await decodeToRgb(png.data, size))).toEqual(Array.from(rgb));
  });

  it('clamps decoder values outside the range', () => {
    expect(Array.from(pixelValuesToRgb(Float32Array.from([-3, 2, 0]), 0, 1, 1, range))).toEqual([0, 255, 128]);
  });

  it('flattens alpha on black and resizes any input to the model size', async () => {
    const rgba = await sharp({ create: { width: 10, height: 6, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const out = await decodeToRgb(rgba, 4);
    expect(out.length).toBe(4 * 4 * 3);
    expect([out[0], out[1], out[2]]).toEqual([128, 0, 0]);
  });

  it('encodes JPEG and WebP deterministically', async () => {
    const rgb = Uint8Array.from({ length: 8 * 8 * 3 }, (_, i) => (i * 11) % 256);
    for (const format of ['jpeg', 'webp'] as const) {
      const a = await encodeImage(rgb, 8, 8, format, 1);
      const b = await encodeImage(rgb, 8, 8, format, 1);
      expect(a.sha256).toBe(b.sha256);
      expect((await sharp(a.data).metadata()).format).toBe(format);
    }
  });
});
