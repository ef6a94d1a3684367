import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { sniffImage } from './image-sniff.js';

const solid = (width: number, height: number, channels: 3 | 4 = 3) => sharp({ create: { width, height, channels, background: { r: 1, g: 2, b: 3, alpha: 0.5 } } });

describe('sniffImage reads dimensions from real encoder output', () => {
  it.each([
    ['png', () => solid(37, 19).png().toBuffer(), 'image/png'],
    ['jpeg', () => solid(37, 19).jpeg().toBuffer(), 'image/jpeg'],
    ['progressive jpeg', () => solid(37, 19).jpeg({ progressive: true }).toBuffer(), 'image/jpeg'],
    ['lossy webp (VP8)', () => solid(37, 19).webp({ lossless: false }).toBuffer(), 'image/webp'],
    ['lossless webp (VP8L)', () => solid(37, 19).webp({ lossless: true }).toBuffer(), 'image/webp'],
    ['webp with alpha (VP8X)', () => solid(37, 19, 4).webp({ alphaQuality: 50 }).toBuffer(), 'image/webp'],
  ])('%s', async (_name, encode, mediaType) => {
    const result = sniffImage(new Uint8Array(await encode()));
    expect(result).toEqual({ ok: true, image: { format: mediaType.slice(6), mediaType, width: 37, height: 19 } });
  });

  it('reads a JPEG whose frame header follows EXIF and ICC segments', async () => {
    const bytes = await solid(640, 3).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect(sniffImage(new Uint8Array(bytes))).toMatchObject({ ok: true, image: { width: 640, height: 3 } });
  });
});

describe('sniffImage refuses', () => {
  it('formats other than PNG, JPEG and WebP, whatever the declared type', async () => {
    const gif = new Uint8Array(await solid(4, 4).gif().toBuffer());
    expect(sniffImage(gif)).toMatchObject({ ok: false, reason: 'unsupported' });
    expect(sniffImage(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toMatchObject({ ok: false, reason: 'unsupported' });
    expect(sniffImage(new Uint8Array(0))).toMatchObject({ ok: false, reason: 'unsupported' });
  });

  it('truncated headers', async () => {
    for (const encode of [() => solid(9, 9).png().toBuffer(), () => solid(9, 9).jpeg().toBuffer(), () => solid(9, 9).webp().toBuffer()]) {
      const bytes = new Uint8Array(await encode());
      expect(sniffImage(bytes.subarray(0, 14))).toMatchObject({ ok: false, reason: 'invalid' });
    }
  });

  it('a PNG whose first chunk is not IHDR, and a zero-sized image', () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 0, 0, 0, 0, 5]);
    expect(sniffImage(png)).toMatchObject({ ok: false, reason: 'invalid', message: 'png header declares an empty image' });
    png[12] = 0x58;
    expect(sniffImage(png)).toMatchObject({ ok: false, reason: 'invalid', message: 'png does not start with an IHDR chunk' });
  });
});

describe('sniffImage reports huge declared sizes without decoding', () => {
  it('PNG header claiming 100000 x 100000', () => {
    const png = new Uint8Array(33);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    new DataView(png.buffer).setUint32(16, 100_000);
    new DataView(png.buffer).setUint32(20, 100_000);
    expect(sniffImage(png)).toEqual({ ok: true, image: { format: 'png', mediaType: 'image/png', width: 100_000, height: 100_000 } });
  });

  it('VP8X canvas of 16384 x 16384', () => {
    const webp = new Uint8Array(30);
    webp.set(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8X'));
    webp.set([0xff, 0x3f, 0x00, 0xff, 0x3f, 0x00], 24);
    expect(sniffImage(webp)).toMatchObject({ ok: true, image: { width: 16384, height: 16384 } });
  });
});
