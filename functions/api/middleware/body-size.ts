import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PlatformError } from '../../../shared/errors.js';
import type { ApiEnv } from '../deps.js';

const tooLarge = (maxBytes: number): PlatformError =>
  new PlatformError({ type: 'invalid_request_error', status: 413, code: 'body_too_large', message: `request body is larger than ${maxBytes} bytes` });

/**
 * 413 above `maxBytes`. A Content-Length is decided from the header alone: the HTTP parser will not deliver
 * more than it declares, and not touching `request.body` keeps @hono/node-server's fast path, which reads
 * the body straight from the socket instead of through a web stream (a large share of a request's CPU).
 * Chunked bodies are counted as they stream (hono's bodyLimit).
 */
export function bodySize(maxBytes: number): MiddlewareHandler<ApiEnv> {
  const streaming = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw tooLarge(maxBytes);
    },
  });
  return async (c, next) => {
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
      return next();
    }
    return streaming(c, next);
  };
}
