// One small hierarchy keyed by the API's error types (its envelope: {"error": {"type", "code", "message",
// "param"}, "request_id"}), plus the client-side failures: no connection, a job that did not succeed, a wait
// that ran out, a webhook that does not verify.
import type { Job } from './types.js';

/** Base of every error this client throws. */
export class NexusError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export interface ApiErrorFields {
  status: number;
  type: string;
  code: string;
  message: string;
  param: string | null;
  requestId: string | null;
  /** Seconds the server asked to wait (Retry-After), when it said. */
  retryAfterSeconds: number | null;
}

/** The API answered with an error envelope (or a non-2xx without one). */
export class ApiError extends NexusError {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | null;
  readonly requestId: string | null;
  readonly retryAfterSeconds: number | null;

  constructor(fields: ApiErrorFields) {
    super(`${fields.status} ${fields.type}/${fields.code}: ${fields.message}${fields.param === null ? '' : ` (param: ${fields.param})`}`);
    this.status = fields.status;
    this.type = fields.type;
    this.code = fields.code;
    this.param = fields.param;
    this.requestId = fields.requestId;
    this.retryAfterSeconds = fields.retryAfterSeconds;
  }
}

/** 400, 413, 415, 422: the request itself is wrong; retrying it unchanged cannot help. */
export class InvalidRequestError extends ApiError {}
/** 401: missing, unknown or revoked API key. */
export class AuthenticationError extends ApiError {}
/** 403 */
export class PermissionError extends ApiError {}
/** 404: no such job (or another tenant's), upload, route. */
export class NotFoundError extends ApiError {}
/** 409: e.g. an Idempotency-Key reused with another body. */
export class ConflictError extends ApiError {}
/** 429: retried automatically, honouring Retry-After; thrown when retries run out. */
export class RateLimitError extends ApiError {}
/** 500 */
export class InternalServerError extends ApiError {}
/** 503: a backing service is unavailable; retried automatically. */
export class OverloadedError extends ApiError {}

const BY_TYPE: Record<string, new (fields: ApiErrorFields) => ApiError> = {
  invalid_request_error: InvalidRequestError,
  authentication_error: AuthenticationError,
  permission_error: PermissionError,
  not_found_error: NotFoundError,
  conflict_error: ConflictError,
  rate_limit_error: RateLimitError,
  api_error: InternalServerError,
  overloaded_error: OverloadedError,
};

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  503: 'overloaded_error',
};

/** The error class for an envelope's type; a reply without a known type is classed by its status. */
export function apiErrorFrom(fields: Omit<ApiErrorFields, 'type'> & { type: string | null }): ApiError {
  const type = fields.type ?? TYPE_BY_STATUS[fields.status] ?? (fields.status >= 500 ? 'api_error' : 'invalid_request_error');
  const Class = BY_TYPE[type] ?? ApiError;
  return new Class({ ...fields, type });
}

/** The API could not be reached (DNS, refused, reset, timed out). Retried automatically. */
export class ConnectionError extends NexusError {}

/** A job ended failed, canceled or expired where a helper needed its output. */
export class JobFailedError extends NexusError {
  readonly job: Job;
  constructor(job: Job) {
    super(`job ${job.id} ended ${job.status}${job.error ? `: ${job.error.type}: ${job.error.message}` : ''}`);
    this.job = job;
  }
}

/** `jobs.wait` ran past its timeout; the job goes on (cancel it if it should not). */
export class WaitTimeoutError extends NexusError {
  readonly jobId: string;
  readonly lastSeen: Job | null;
  constructor(jobId: string, timeoutMs: number, lastSeen: Job | null) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms (last status: ${lastSeen?.status ?? 'unknown'})`);
    this.jobId = jobId;
    this.lastSeen = lastSeen;
  }
}

/** A webhook delivery whose signature, timestamp or body does not check out. */
export class WebhookVerificationError extends NexusError {}
