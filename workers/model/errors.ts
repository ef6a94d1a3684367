// Errors the runtime throws. The worker classifies them once: a bad bundle or a missing execution provider
// is a deployment fault (fail the start), bad input is the customer's (fail the job, not retryable).

export type ModelErrorCode =
  'bundle_invalid' | 'checksum_mismatch' | 'provider_unavailable' | 'session_failed' | 'invalid_image' | 'invalid_request' | 'context_too_long';

export class ModelError extends Error {
  readonly code: ModelErrorCode;
  /** True when the same request may succeed on another attempt (the fault is not in the request). */
  readonly retryable: boolean;

  constructor(code: ModelErrorCode, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ModelError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** Throws the signal's reason (an AbortError DOMException unless the caller gave another) when aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}
