// The API's Lambda entry in AWS: restores the caller's Authorization header (infra/edge-auth.ts says why), then
// hands the event to the API's own handler.
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { handler as apiHandler } from '../functions/api/handler.js';
import { restoreAuthorization } from './edge-auth.js';

export function handler(event: LambdaEvent, context?: LambdaContext) {
  return apiHandler({ ...event, headers: restoreAuthorization(event.headers ?? {}) }, context);
}
