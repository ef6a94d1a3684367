// Image URLs are fetched here, in the worker (the API only checks their form): every hop passes the SSRF
// guard inside the guarded fetch; this file maps its outcomes onto the worker's failure classes.
import { FetchLimitError, type GuardedFetch } from '../../shared/guarded-fetch.js';
import { SsrfRefusedError } from '../../shared/ssrf-guard.js';
import { InputError } from './failures.js';
import type { ImageFetcher } from './inputs.js';

export const IMAGE_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

/** Upstream answers worth another delivery later: the server is busy or broken, not the URL wrong. */
const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** `fetch` must not filter content types itself: the status decides first (a 503 page is transient). */
export function createImageFetcher(fetch: GuardedFetch): ImageFetcher {
  return async (url) => {
    let response;
    try {
      response = await fetch(url, { method: 'GET', headers: { accept: IMAGE_CONTENT_TYPES.join(', ') } });
    } catch (error) {
      if (error instanceof SsrfRefusedError) {
        throw new InputError('image_url_refused', `image URL refused: ${error.message}`, { cause: error });
      }
      if (error instanceof FetchLimitError && error.limit !== 'timeout') {
        throw new InputError('invalid_image_url', `image URL ${url}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    if (response.status < 200 || response.status >= 300) {
      const problem = `image URL ${url} answered HTTP ${response.status}`;
      if (TRANSIENT_STATUSES.has(response.status)) throw new Error(problem);
      throw new InputError('invalid_image_url', problem);
    }
    // Sniffed from the bytes: the server's Content-Type header is not evidence.
    if (!IMAGE_CONTENT_TYPES.some((type) => type === response.sniffedType)) {
      throw new InputError('invalid_image_url', `image URL ${url} returned ${response.sniffedType}, not a PNG, JPEG or WebP image`);
    }
    return response.body;
  };
}
