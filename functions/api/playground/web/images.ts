// Images in and out of the page. An attached file goes inline as a data: URI when small (the deployed API sits
// behind CloudFront, which caps request bodies at 1 MB), else through POST /v1/uploads and a presigned PUT
// straight to the bucket. Output images are fetched as bytes (the bucket's CORS rule allows it), shown from a
// blob: URL and kept as data: URIs for the follow-up turns.
import type { ApiClient } from './api.js';
import { MAX_IMAGE_BYTES } from './limits.js';

/** Files up to this size ride in the request body (base64 grows them by a third). */
export const MAX_INLINE_BYTES = 512 * 1024;
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
type ImageType = (typeof IMAGE_TYPES)[number];

const isImageType = (t: string): t is ImageType => IMAGE_TYPES.some((x) => x === t);

export interface PageImage {
  ref: string;
  display: string;
}

/** Why this file cannot be attached, or null when it may be tried (the API sniffs the bytes themselves). */
export function fileProblem(file: { name: string; type: string; size: number }): string | null {
  if (!isImageType(file.type)) return `"${file.name}" is ${file.type || 'of an unknown type'}: attach a PNG, JPEG or WebP image.`;
  if (file.size === 0) return `"${file.name}" is empty.`;
  if (file.size > MAX_IMAGE_BYTES) return `"${file.name}" is ${(file.size / 1048576).toFixed(1)} MiB: images may be at most ${MAX_IMAGE_BYTES / 1048576} MiB.`;
  return null;
}

export function dataUri(blob: Blob): Promise<string> {
  return new Promise((done, fail) => {
    const reader = new FileReader();
    reader.onload = () => (typeof reader.result === 'string' ? done(reader.result) : fail(new Error('could not read the image')));
    reader.onerror = () => fail(new Error('could not read the image'));
    reader.readAsDataURL(blob);
  });
}

interface Upload {
  reference: string;
  upload_url: string;
  headers: Record<string, string>;
}

/** The image as the next request will carry it. Throws with a readable message. */
export async function attachFile(file: File, api: ApiClient): Promise<PageImage> {
  const problem = fileProblem(file);
  if (problem !== null) throw new Error(problem);
  const display = URL.createObjectURL(file);
  if (file.size <= MAX_INLINE_BYTES) return { ref: await dataUri(file), display };
  const upload = await api.json<Upload>('POST', '/v1/uploads', { content_type: file.type });
  let put: Response;
  try {
    put = await fetch(upload.upload_url, { method: 'PUT', headers: upload.headers, body: file });
  } catch {
    throw new Error('Could not upload the image to storage (network, or the bucket does not allow this origin).');
  }
  if (!put.ok) throw new Error(`Storage refused the upload (HTTP ${put.status}).`);
  return { ref: upload.reference, display };
}

/** An output image: bytes when the bucket lets the page read them, else the presigned URL itself. */
export async function loadOutputImage(url: string): Promise<PageImage> {
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const blob = await response.blob();
    const display = URL.createObjectURL(blob);
    return { ref: blob.size <= MAX_INLINE_BYTES ? await dataUri(blob) : url, display };
  } catch {
    return { ref: url, display: url };
  }
}
