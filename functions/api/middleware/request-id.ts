import type { MiddlewareHandler } from 'hono';
import { newRequestId } from '../../../shared/ids.js';
import type { ApiEnv } from '../deps.js';

/** Every reply carries a request id (header and error envelope) so a support ticket can be traced. */
export const requestId = (): MiddlewareHandler<ApiEnv> => async (c, next) => {
  const id = newRequestId();
  c.set('requestId', id);
  c.header('Request-Id', id);
  await next();
};
