// Images in and out: bytes ↔ base64 data URIs (btoa/atob, present on every runtime), the media type sniffed from
// the first bytes, and the shapes a caller may hand over as an image.

/** A URL (https, data:, upload:upl_…) or the image's bytes. */
export type ImageInput = string | Blob | Uint8Array | ArrayBuffer;

export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/webp';

/** PNG, JPEG or WebP from the magic bytes; null for anything else. */
export function sniffImageType(bytes: Uint8Array): ImageMediaType | null {
  const starts = (...sig: number[]): boolean => sig.every((byte, i) => bytes[i] === byte);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'image/webp';
  return null;
}

export async function toBytes(input: Blob | Uint8Array | ArrayBuffer): Promise<Uint8Array<ArrayBuffer>> {
  // A copy when it is a view: it may sit on a SharedArrayBuffer, which fetch does not take as a body.
  if (input instanceof Uint8Array) return Uint8Array.from(input);
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  return new Uint8Array(await input.arrayBuffer());
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export const dataUri = (bytes: Uint8Array, type: ImageMediaType): string => `data:${type};base64,${bytesToBase64(bytes)}`;
