// Qwen2.5-VL's image preprocessing for Nexus-Gen's vision encoder, outside the graph: CLIP normalisation, 14-px
// patches over 2 identical frames in 2×2-merge order, and the data-dependent inputs of the static ONNX graph
// (patch coordinates, window order, segment ids). Follows transformers' image_processing_qwen2_vl.py (smart_resize,
// patch order) and modeling_qwen2_5_vl.py (rot_pos_emb, get_window_index); models/nexus-gen/qwen_vit.py is the
// Python twin the parity check compares against.
import * as ort from 'onnxruntime-node';
import { ModelError } from '../errors.js';
import type { NexusGenArchitecture } from '../manifest.js';
import { floatData, runSession, type StageSession } from '../sessions.js';

export type QwenVisionSpec = NexusGenArchitecture['vision'];
export type GridThw = readonly [number, number, number];

export interface RgbImage {
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** Qwen2-VL's size rule: sides multiples of `factor` (patch × merge), area inside [minPixels, maxPixels]. */
export function smartResize(height: number, width: number, factor: number, minPixels: number, maxPixels: number): [number, number] {
  let h = Math.max(factor, Math.round(height / factor) * factor);
  let w = Math.max(factor, Math.round(width / factor) * factor);
  if (h * w > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    h = Math.floor(height / beta / factor) * factor;
    w = Math.floor(width / beta / factor) * factor;
  } else if (h * w < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    h = Math.ceil((height * beta) / factor) * factor;
    w = Math.ceil((width * beta) / factor) * factor;
  }
  return [h, w];
}

/** RGB (sides multiples of patch × merge) → patches [L, 3·T·p·p] and the grid (1, H/p, W/p). */
export function patchify(image: RgbImage, spec: QwenVisionSpec): { patches: Float32Array; grid: GridThw } {
  const p = spec.patch_size;
  const tp = spec.temporal_patch_size;
  const m = spec.spatial_merge_size;
  const { rgb, width, height } = image;
  if (height % (p * m) !== 0 || width % (p * m) !== 0) {
    throw new ModelError('invalid_image', `image ${width}x${height} is not a multiple of ${p * m} pixels on each side`);
  }
  const gh = height / p;
  const gw = width / p;
  const per = 3 * tp * p * p;
  const patches = new Float32Array(gh * gw * per);
  const mean = spec.image_mean.map((v) => Math.fround(v));
  const std = spec.image_std.map((v) => Math.fround(v));
  let at = 0;
  for (let hu = 0; hu < gh / m; hu += 1) {
    for (let wu = 0; wu < gw / m; wu += 1) {
      for (let hm = 0; hm < m; hm += 1) {
        for (let wm = 0; wm < m; wm += 1) {
          const row0 = (hu * m + hm) * p;
          const col0 = (wu * m + wm) * p;
          for (let c = 0; c < 3; c += 1) {
            for (let t = 0; t < tp; t += 1) {
              for (let y = 0; y < p; y += 1) {
                for (let x = 0; x < p; x += 1) {
                  const byte = rgb[((row0 + y) * width + col0 + x) * 3 + c] ?? 0;
                  // float32 at every step, as numpy computes (x / 255 - mean) / std on float32 arrays
                  patches[at] = Math.fround(Math.fround(Math.fround(byte / 255) - (mean[c] ?? 0)) / (std[c] ?? 1));
                  at += 1;
                }
              }
            }
          }
        }
      }
    }
  }
  return { patches, grid: [1, gh, gw] };
}

export interface VisionGraphInputs {
  patchPositions: number[];
  windowIndex: number[];
  windowSegments: number[];
  imageSegments: number[];
  reverseIndex: number[];
}

/** Patch coordinates (row, col) in merge order, the window permutation of merge units and segment ids. */
export function visionInputs(grids: readonly GridThw[], spec: QwenVisionSpec): VisionGraphInputs {
  const m = spec.spatial_merge_size;
  const unit = m * m;
  const ws = Math.floor(spec.window_size / m / spec.patch_size);
  const out: VisionGraphInputs = { patchPositions: [], windowIndex: [], windowSegments: [], imageSegments: [], reverseIndex: [] };
  let base = 0;
  let segment = 0;
  grids.forEach(([t, gh, gw], image) => {
    for (let f = 0; f < t; f += 1) {
      for (let hu = 0; hu < gh / m; hu += 1) {
        for (let wu = 0; wu < gw / m; wu += 1) {
          for (let hm = 0; hm < m; hm += 1) for (let wm = 0; wm < m; wm += 1) out.patchPositions.push(hu * m + hm, wu * m + wm);
        }
      }
    }
    const lh = gh / m;
    const lw = gw / m;
    // Windows of ws × ws merge units over the grid padded up (by a whole window when it divides, as upstream).
    const nh = Math.floor((lh + ws - (lh % ws)) / ws);
    const nw = Math.floor((lw + ws - (lw % ws)) / ws);
    for (let f = 0; f < t; f += 1) {
      for (let wh = 0; wh < nh; wh += 1) {
        for (let ww = 0; ww < nw; ww += 1) {
          let kept = 0;
          for (let y = wh * ws; y < Math.min(lh, (wh + 1) * ws); y += 1) {
            for (let x = ww * ws; x < Math.min(lw, (ww + 1) * ws); x += 1) {
              out.windowIndex.push(base + f * lh * lw + y * lw + x);
              kept += 1;
            }
          }
          if (kept === 0) continue;
          for (let k = 0; k < kept * unit; k += 1) out.windowSegments.push(segment);
          segment += 1;
        }
      }
    }
    for (let k = 0; k < t * gh * gw; k += 1) out.imageSegments.push(image);
    base += t * lh * lw;
  });
  const reverse = new Array<number>(out.windowIndex.length);
  out.windowIndex.forEach((unitIndex, position) => {
    reverse[unitIndex] = position;
  });
  out.reverseIndex = reverse;
  return out;
}

function int64(values: readonly number[], dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

/** Encodes images (sides multiples of 28) in one call; returns [tokens × hidden] per image and the grids. */
export async function encodeQwenImages(encoder: StageSession, spec: QwenVisionSpec, images: readonly RgbImage[]): Promise<{ embeds: Float32Array[]; grids: GridThw[] }> {
  if (images.length === 0) return { embeds: [], grids: [] };
  const parts = images.map((img) => patchify(img, spec));
  const per = parts[0]?.patches.length ?? 0;
  const rows = parts.reduce((n, p) => n + p.grid[1] * p.grid[2], 0);
  const width = per / ((parts[0]?.grid[1] ?? 1) * (parts[0]?.grid[2] ?? 1));
  const pixels = new Float32Array(rows * width);
  let at = 0;
  for (const p of parts) {
    pixels.set(p.patches, at);
    at += p.patches.length;
  }
  const grids = parts.map((p) => p.grid);
  const vi = visionInputs(grids, spec);
  const units = vi.windowIndex.length;
  const out = await runSession(encoder, {
    pixel_values: new ort.Tensor('float32', pixels, [rows, width]),
    patch_positions: int64(vi.patchPositions, [rows, 2]),
    window_index: int64(vi.windowIndex, [units]),
    window_segments: int64(vi.windowSegments, [rows]),
    image_segments: int64(vi.imageSegments, [rows]),
    reverse_index: int64(vi.reverseIndex, [units]),
  });
  const embeds = floatData(out['image_embeds'], 'image_embeds');
  const hidden = embeds.length / units;
  const unit = spec.spatial_merge_size ** 2;
  let offset = 0;
  return {
    grids,
    embeds: grids.map(([t, gh, gw]) => {
      const n = (t * gh * gw) / unit;
      const slice = embeds.slice(offset * hidden, (offset + n) * hidden);
      offset += n;
      return slice;
    }),
  };
}
