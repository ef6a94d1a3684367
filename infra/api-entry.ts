// The API's Lambda entry in AWS: restores the caller's Authorization header (infra/edge-auth.ts says why), then
// hands the event to the API's own handler.
import type { LambdaContext, LambdaEvent } from 'hono/aws-lambda';
import { handler as apiHandler } from '../functions/api/handler.js';
import { restoreAuthorization } from './edge-auth.js';

/** A function URL delivers the API Gateway v2 payload; the other event kinds never reach this function. */
type FunctionUrlEvent = Extract<LambdaEvent, { rawPath: string }>;

export function handler(event: FunctionUrlEvent, context?: LambdaContext) {
  return apiHandler({ ...event, headers: restoreAuthorization(event.headers) }, context);
}
