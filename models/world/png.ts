// PNG in and out of the world's raw RGB buffers (the writer's images, the eval's model outputs).
import sharp from 'sharp';
import { IMAGE_SIZE } from './config.js';
import type { RgbImage } from './render.js';

export async function encodePng(image: RgbImage): Promise<Buffer> {
  return sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 6 })
    .toBuffer();
}

/**
 * Decodes any image sharp reads (PNG, JPEG, WebP) to RGB at the world's size. Alpha is flattened away; a
 * different size is resampled with nearest neighbour so hard edges stay hard for the scorer.
 */
export async function decodeImage(bytes: Uint8Array, size: number = IMAGE_SIZE): Promise<RgbImage> {
  let pipeline = sharp(bytes).removeAlpha();
  const meta = await sharp(bytes).metadata();
  if (meta.width !== size || meta.height !== size) pipeline = pipeline.resize(size, size, { kernel: 'nearest', fit: 'fill' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
