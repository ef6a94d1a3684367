// RGB bytes → PNG: one IHDR, one IDAT (rows unfiltered, zlib's default level 6), IEND. For the runtime's
// small outputs sharp's pipeline set-up costs several times the compression itself; this writer costs only the
// deflate. Level 9 costs several times level 6 for files under 1 % smaller (figures: workers/model/README.md).
// Fixed settings, so the same pixels always give the same bytes.
import { crc32, deflate, deflateSync } from 'node:zlib';
import { promisify } from 'node:util';

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const deflateAsync = promisify(deflate);
/** Below this many bytes of rows, deflating on the calling thread beats the hop to the thread pool. */
const SYNC_LIMIT = 1 << 18;

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i += 1) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export async function encodePng(rgb: Uint8Array, width: number, height: number): Promise<Uint8Array> {
  const stride = width * 3;
  if (rgb.length !== stride * height) throw new RangeError(`expected ${stride * height} RGB bytes, got ${rgb.length}`);
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, truecolour, deflate, adaptive-filter method, no interlace
  const rows = new Uint8Array((stride + 1) * height); // each row: filter type 0 (none), then its bytes
  for (let y = 0; y < height; y += 1) rows.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const options = { level: 6 };
  const compressed = rows.length <= SYNC_LIMIT ? deflateSync(rows, options) : await deflateAsync(rows, options);
  const parts = [SIGNATURE, chunk('IHDR', header), chunk('IDAT', compressed), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
