// Image URLs are fetched here, in the worker (the API only checks their form): every hop passes the SSRF
// guard inside the guarded fetch; this file maps its outcomes onto the worker's failure classes, and holds the
// image to the limits every input image has (README "Limits") before anything decodes it.
import { FetchLimitError, type GuardedFetch } from '../../shared/guarded-fetch.js';
import { IMAGE_LIMITS, imageDimensionsProblem, type ImageLimits } from '../../shared/image-limits.js';
import { sniffImage } from '../../shared/image-sniff.js';
import { SsrfRefusedError } from '../../shared/ssrf-guard.js';
import { InputError, TransientInputError } from './failures.js';
import type { ImageFetcher } from './inputs.js';

export const IMAGE_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

/** Upstream answers worth another delivery later: the server is busy or broken, not the URL wrong. */
const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Socket errors in the words a customer reads in the job's error. */
const NETWORK_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

function networkProblem(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error && typeof error.code === 'string' ? error.code : '';
  return NETWORK_PROBLEMS[code] ?? error.message;
}

/**
 * `fetch` must not filter content types itself: the status decides first (a 503 page is transient). Its byte
 * limit is `limits.maxImageBytes` (it stops reading there); `limits` names it in the error.
 */
export function createImageFetcher(fetch: GuardedFetch, limits: ImageLimits = IMAGE_LIMITS): ImageFetcher {
  return async (url) => {
    let response;
    try {
      response = await fetch(url, { method: 'GET', headers: { accept: IMAGE_CONTENT_TYPES.join(', ') } });
    } catch (error) {
      if (error instanceof SsrfRefusedError) {
        throw new InputError('image_url_refused', `image URL refused: ${error.message}`, { cause: error });
      }
      if (error instanceof FetchLimitError && error.limit === 'too_large') {
        throw new InputError('image_too_large', `image URL ${url}: image is larger than ${limits.maxImageBytes} bytes`, { cause: error });
      }
      if (error instanceof FetchLimitError && error.limit !== 'timeout') {
        throw new InputError('invalid_image_url', `image URL ${url}: ${error.message}`, { cause: error });
      }
      // Refused, reset, timed out: the server may be back on a later delivery; the last one reports this cause.
      throw new TransientInputError('image_fetch_failed', `could not fetch image ${url}: ${networkProblem(error)}`, { cause: error });
    }
    if (response.status < 200 || response.status >= 300) {
      const problem = `image URL ${url} answered HTTP ${response.status}`;
      if (TRANSIENT_STATUSES.has(response.status)) throw new TransientInputError('image_fetch_failed', problem);
      throw new InputError('invalid_image_url', problem);
    }
    // Sniffed from the bytes: the server's Content-Type header is not evidence.
    if (!IMAGE_CONTENT_TYPES.some((type) => type === response.sniffedType)) {
      throw new InputError('invalid_image_url', `image URL ${url} returned ${response.sniffedType}, not a PNG, JPEG or WebP image`);
    }
    // Dimensions from the header, before the model decodes anything (a small file can declare a huge image).
    const sniffed = sniffImage(response.body);
    if (!sniffed.ok) throw new InputError('invalid_image', `image URL ${url}: ${sniffed.message}`);
    const tooLarge = imageDimensionsProblem(sniffed.image.width, sniffed.image.height, limits);
    if (tooLarge !== null) throw new InputError('image_too_large', `image URL ${url}: ${tooLarge}`);
    return response.body;
  };
}
