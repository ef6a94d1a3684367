// Image format and dimensions from the first bytes, in plain TypeScript: a huge or disguised image must be
// refused before anything decodes it (decompression bombs) — by the API for data URIs and uploads, on edge
// runtimes without native codecs, and by the worker for images it fetches by URL. Full decoding is the model's.

export type ImageFormat = 'png' | 'jpeg' | 'webp';
export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/webp';

export interface ImageInfo {
  format: ImageFormat;
  mediaType: ImageMediaType;
  width: number;
  height: number;
}

export type SniffResult =
  | { ok: true; image: ImageInfo }
  /** unsupported: not PNG/JPEG/WebP; invalid: looks like one but the header is broken or truncated. */
  | { ok: false; reason: 'unsupported' | 'invalid'; message: string };

const MEDIA_TYPES: Record<ImageFormat, ImageMediaType> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

const invalid = (message: string): SniffResult => ({ ok: false, reason: 'invalid', message });

function found(format: ImageFormat, width: number, height: number): SniffResult {
  if (width <= 0 || height <= 0) return invalid(`${format} header declares an empty image`);
  return { ok: true, image: { format, mediaType: MEDIA_TYPES[format], width, height } };
}

const u16be = (b: Uint8Array, i: number): number => ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
const u32be = (b: Uint8Array, i: number): number => u16be(b, i) * 0x10000 + u16be(b, i + 2);
const u16le = (b: Uint8Array, i: number): number => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
const u24le = (b: Uint8Array, i: number): number => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16);
const ascii = (b: Uint8Array, i: number, n: number): string => String.fromCharCode(...b.subarray(i, i + n));

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function sniffPng(b: Uint8Array): SniffResult {
  // The first chunk must be IHDR (PNG spec §5.6): length 13, then width and height, big-endian.
  if (b.length < 24) return invalid('png header is truncated');
  if (u32be(b, 8) !== 13 || ascii(b, 12, 4) !== 'IHDR') return invalid('png does not start with an IHDR chunk');
  return found('png', u32be(b, 16), u32be(b, 20));
}

// Start-of-frame markers carry the dimensions; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function sniffJpeg(b: Uint8Array): SniffResult {
  let i = 2;
  while (i < b.length) {
    if (b[i] !== 0xff) return invalid('jpeg marker expected');
    while (b[i] === 0xff) i += 1; // fill bytes
    const marker = b[i];
    i += 1;
    if (marker === undefined) break;
    // Standalone markers have no length field.
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0xd9 || marker === 0xda) return invalid('jpeg has no frame header before the scan');
    if (i + 2 > b.length) break;
    const length = u16be(b, i);
    if (length < 2) return invalid('jpeg segment length is invalid');
    if (isSof(marker)) {
      if (i + 7 > b.length) break;
      // Height 0 defers the size to a DNL marker after the scan: refuse rather than decode to find out.
      return found('jpeg', u16be(b, i + 5), u16be(b, i + 3));
    }
    i += length;
  }
  return invalid('jpeg header is truncated');
}

function sniffWebp(b: Uint8Array): SniffResult {
  if (b.length < 30) return invalid('webp header is truncated');
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X') return found('webp', u24le(b, 24) + 1, u24le(b, 27) + 1);
  if (chunk === 'VP8 ') {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return invalid('webp VP8 start code missing');
    // 14-bit sizes; the top two bits are the upscaling hint.
    return found('webp', u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff);
  }
  if (chunk === 'VP8L') {
    if (b[20] !== 0x2f) return invalid('webp VP8L signature missing');
    const b1 = b[22] ?? 0;
    const b2 = b[23] ?? 0;
    const b3 = b[24] ?? 0;
    const width = 1 + (((b1 & 0x3f) << 8) | (b[21] ?? 0));
    const height = 1 + (((b3 & 0x0f) << 10) | (b2 << 2) | ((b1 & 0xc0) >> 6));
    return found('webp', width, height);
  }
  return invalid(`webp chunk ${JSON.stringify(chunk)} is not VP8, VP8L or VP8X`);
}

export function sniffImage(bytes: Uint8Array): SniffResult {
  if (PNG_SIGNATURE.every((v, i) => bytes[i] === v)) return sniffPng(bytes);
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return sniffJpeg(bytes);
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return sniffWebp(bytes);
  return { ok: false, reason: 'unsupported', message: 'image format is not PNG, JPEG or WebP' };
}
