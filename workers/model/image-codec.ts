// Decoder output (CHW floats in the pixel range) → RGB bytes → PNG (png-encode.ts) or WebP/JPEG (sharp) with fixed encoder settings,
// so the same pixels always give the same file and the same sha256.
import sharp from 'sharp';
import type { ModelImage, ModelRequest } from './types.js';
import { sha256Hex } from './manifest.js';
import { encodePng } from './png-encode.js';

export type OutputFormat = ModelRequest['format'];

export function pixelValuesToRgb(chw: Float32Array, offset: number, width: number, height: number, pixelRange: readonly [number, number]): Uint8Array {
  const plane = width * height;
  const [lo, hi] = pixelRange;
  const rgb = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i += 1) {
    for (let c = 0; c < 3; c += 1) {
      const v = chw[offset + c * plane + i] ?? lo;
      const byte = Math.round(((v - lo) / (hi - lo)) * 255);
      rgb[i * 3 + c] = byte < 0 ? 0 : byte > 255 ? 255 : byte;
    }
  }
  return rgb;
}

async function encodeWithSharp(rgb: Uint8Array, width: number, height: number, format: 'webp' | 'jpeg'): Promise<Uint8Array> {
  const base = sharp(rgb, { raw: { width, height, channels: 3 } });
  const encoded = format === 'webp' ? base.webp({ lossless: true, effort: 4 }) : base.jpeg({ quality: 92, chromaSubsampling: '4:4:4', mozjpeg: false });
  const buffer = await encoded.toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

const MEDIA_TYPES = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;

export async function encodeImage(rgb: Uint8Array, width: number, height: number, format: OutputFormat, seed: number): Promise<ModelImage> {
  // PNG (the common output) through a small zlib writer: sharp's per-image set-up dominated a job's encode.
  const data = format === 'png' ? await encodePng(rgb, width, height) : await encodeWithSharp(rgb, width, height, format);
  return { data, mediaType: MEDIA_TYPES[format], width, height, sha256: sha256Hex(data), seed };
}
