// The error envelope of docs/architecture.md §4.3, as documented in OpenAPI.
import { z } from '@hono/zod-openapi';

export const ERROR_TYPES = [
  'invalid_request_error',
  'authentication_error',
  'permission_error',
  'not_found_error',
  'conflict_error',
  'rate_limit_error',
  'billing_error',
  'api_error',
  'overloaded_error',
] as const;

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      type: z.enum(ERROR_TYPES),
      code: z.string(),
      message: z.string(),
      param: z.string().nullable().openapi({ description: 'Path into the request, e.g. messages[0].content[1].image_url.url' }),
    }),
    request_id: z.string(),
  })
  .openapi('Error');

export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>;

const envelope = (description: string) => ({ content: { 'application/json': { schema: ErrorEnvelopeSchema } }, description });

/** Error responses every authenticated route can give. */
export const COMMON_ERROR_RESPONSES = {
  400: envelope('Invalid request (invalid_request_error)'),
  401: envelope('Missing, unknown, revoked or expired API key (authentication_error)'),
  403: envelope('Suspended account (account_suspended), or an admin key outside /v1/admin/* (permission_denied) (permission_error)'),
  429: envelope('Rate limited (rate_limit_error); see Retry-After'),
  500: envelope('Internal error (api_error)'),
  503: envelope('A backing service is unavailable (overloaded_error); retry'),
} as const;

/** Routes that take a JSON body also answer these. */
export const BODY_ERROR_RESPONSES = {
  413: envelope('Body too large (invalid_request_error)'),
  415: envelope('Content-Type is not application/json, or its charset is not UTF-8 (invalid_request_error)'),
} as const;

export const errorResponse = envelope;
