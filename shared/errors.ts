// One error base for every service (docs/architecture.md §4.3, house style).

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'rate_limit_error'
  | 'billing_error'
  | 'api_error'
  | 'overloaded_error';

export interface PlatformErrorOptions {
  type: ErrorType;
  status: number;
  code: string;
  message: string;
  param?: string | null;
  retryable?: boolean;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class PlatformError extends Error {
  readonly type: ErrorType;
  readonly status: number;
  readonly code: string;
  readonly param: string | null;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(options: PlatformErrorOptions) {
    super(options.message, { cause: options.cause });
    this.name = 'PlatformError';
    this.type = options.type;
    this.status = options.status;
    this.code = options.code;
    this.param = options.param ?? null;
    this.retryable = options.retryable ?? false;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const invalidRequest = (code: string, message: string, param: string | null = null, status = 400): PlatformError =>
  new PlatformError({ type: 'invalid_request_error', status, code, message, param });

export const notFound = (message: string, param: string | null = null): PlatformError =>
  new PlatformError({ type: 'not_found_error', status: 404, code: 'not_found', message, param });
