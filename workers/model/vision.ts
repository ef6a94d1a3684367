// Image preprocessing for the vision encoder: any PNG/JPEG/WebP → RGB at the bundle's size → NCHW floats
// in the manifest's pixel range.
import sharp from 'sharp';
import { errorText } from '../../shared/error-text.js';
import { ModelError } from './errors.js';

export interface VisionSpec {
  size: number;
  pixelRange: readonly [number, number];
}

/** Far above any real input at this model's sizes; stops decompression bombs before they allocate. */
const MAX_INPUT_PIXELS = 40_000_000;

/**
 * Decodes to S×S RGB (alpha flattened on black, aspect not kept: the encoder sees the whole picture), or to
 * `size` × `height` (width × height) when a height is given.
 */
export async function decodeToRgb(data: Uint8Array, size: number, height = size): Promise<Uint8Array> {
  try {
    const { data: raw, info } = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS })
      .flatten({ background: { r: 0, g: 0, b: 0 } })
      .removeAlpha()
      .toColourspace('srgb')
      .resize(size, height, { fit: 'fill', kernel: 'lanczos3' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size || info.height !== height) {
      throw new Error(`unexpected decode result ${info.width}x${info.height}x${info.channels}`);
    }
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  } catch (cause) {
    const reason = errorText(cause);
    throw new ModelError('invalid_image', `the image cannot be decoded: ${reason}`, { cause });
  }
}

/** HWC uint8 → CHW float32 mapped linearly from [0, 255] onto pixelRange. */
export function rgbToPixelValues(rgb: Uint8Array, size: number, spec: VisionSpec, out?: Float32Array, offset = 0): Float32Array {
  const plane = size * size;
  const target = out ?? new Float32Array(3 * plane);
  const [lo, hi] = spec.pixelRange;
  const scale = (hi - lo) / 255;
  for (let i = 0; i < plane; i += 1) {
    for (let c = 0; c < 3; c += 1) target[offset + c * plane + i] = (rgb[i * 3 + c] ?? 0) * scale + lo;
  }
  return target;
}

/** Width and height of an encoded image, without decoding its pixels. */
export async function imageSize(data: Uint8Array): Promise<{ width: number; height: number }> {
  try {
    const meta = await sharp(data, { limitInputPixels: MAX_INPUT_PIXELS }).metadata();
    if (meta.width === undefined || meta.height === undefined) throw new Error('no dimensions');
    return { width: meta.width, height: meta.height };
  } catch (cause) {
    const reason = errorText(cause);
    throw new ModelError('invalid_image', `the image cannot be decoded: ${reason}`, { cause });
  }
}
