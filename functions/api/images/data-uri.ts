// data: URIs of input images. Only base64 payloads: that is what every client library sends for binary
// data, and percent-encoded binary would be a second, rarely tested path.
import { base64ToBytes } from '../../../shared/base64.js';

export type DataUriResult = { ok: true; declaredType: string; bytes: Uint8Array } | { ok: false; code: 'invalid_data_uri' | 'image_too_large'; message: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBase64(text: string): Uint8Array | null {
  // Clients wrap base64 at 76 columns (MIME); tolerate whitespace, nothing else.
  const clean = text.replace(/[\r\n\t ]/g, '');
  if (clean.length % 4 === 1 || !BASE64.test(clean)) return null;
  try {
    return base64ToBytes(clean);
  } catch {
    return null;
  }
}

/** A data: URI (the scheme is case-insensitive, RFC 3986 §3.1). */
export const isDataUri = (url: string): boolean => url.length >= 5 && url.slice(0, 5).toLowerCase() === 'data:';

/** Parses `data:<type>[;param]*;base64,<payload>`; the declared type is advisory (the bytes decide). */
export function parseDataUri(uri: string, maxBytes: number): DataUriResult {
  const comma = uri.indexOf(',');
  if (!isDataUri(uri) || comma < 0) return { ok: false, code: 'invalid_data_uri', message: 'data URI must look like data:image/png;base64,...' };
  const meta = uri.slice(5, comma).split(';');
  if (meta.at(-1)?.toLowerCase() !== 'base64') return { ok: false, code: 'invalid_data_uri', message: 'data URI must be base64-encoded' };
  const payload = uri.slice(comma + 1);
  // 4 base64 chars carry 3 bytes: refuse an oversized payload before allocating its decoded copy.
  if (Math.floor((payload.length * 3) / 4) > maxBytes + 3) return { ok: false, code: 'image_too_large', message: `image is larger than ${maxBytes} bytes` };
  const bytes = decodeBase64(payload);
  if (bytes === null) return { ok: false, code: 'invalid_data_uri', message: 'data URI payload is not valid base64' };
  if (bytes.length > maxBytes) return { ok: false, code: 'image_too_large', message: `image is larger than ${maxBytes} bytes` };
  if (bytes.length === 0) return { ok: false, code: 'invalid_data_uri', message: 'data URI payload is empty' };
  return { ok: true, declaredType: (meta[0] ?? '').toLowerCase(), bytes };
}
