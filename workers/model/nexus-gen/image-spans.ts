// Qwen's dynamic resolution for input images: each image keeps its aspect, resized by smart_resize (sides multiples
// of 28, area within the manifest's pixel budget), so its span holds (h/28)·(w/28) `<|image_pad|>` tokens instead
// of the template's fixed N. The chat template renders N slots per image; this widens or narrows each input span.
import type { NexusGenArchitecture } from '../manifest.js';
import { decodeToRgb, imageSize } from '../vision.js';
import { smartResize, type RgbImage } from './qwen-vision.js';

/** An input image at its model size: the RGB the encoder takes and its token count. */
export async function prepareInputImage(data: Uint8Array, vision: NexusGenArchitecture['vision']): Promise<RgbImage & { tokens: number }> {
  const { width, height } = await imageSize(data);
  const factor = vision.patch_size * vision.spatial_merge_size;
  const [h, w] = smartResize(height, width, factor, vision.min_pixels, vision.max_pixels);
  return { rgb: await decodeToRgb(data, w, h), width: w, height: h, tokens: (h / factor) * (w / factor) };
}

/** Replaces each span's slots (start, `slots` long) by `counts[i]` pad ids; returns the ids and the new starts. */
export function resizeImageSpans(
  ids: readonly number[],
  starts: readonly number[],
  slots: number,
  counts: readonly number[],
  pad: number,
): { ids: number[]; starts: number[] } {
  const out: number[] = [];
  const newStarts: number[] = [];
  let at = 0;
  starts.forEach((start, i) => {
    out.push(...ids.slice(at, start));
    newStarts.push(out.length);
    for (let k = 0; k < (counts[i] ?? slots); k += 1) out.push(pad);
    at = start + slots;
  });
  out.push(...ids.slice(at));
  return { ids: out, starts: newStarts };
}
