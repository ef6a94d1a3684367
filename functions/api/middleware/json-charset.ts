import type { MiddlewareHandler } from 'hono';
import { invalidRequest } from '../../../shared/errors.js';
import type { ApiEnv } from '../deps.js';

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]+)"?/i;

/**
 * JSON between systems is UTF-8 (RFC 8259 §8.1), and the body is decoded as UTF-8 whatever the header says: a
 * body that declares another charset would have its non-ASCII text garbled silently, so it gets 415 instead.
 */
export function jsonCharset(): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const type = c.req.header('content-type');
    const charset = type === undefined ? undefined : CHARSET.exec(type)?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw invalidRequest('unsupported_charset', `request bodies must be UTF-8 JSON; got charset=${charset}`, null, 415);
    }
    return next();
  };
}
