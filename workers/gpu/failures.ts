// The one place where the worker decides what a failure means (docs/architecture.md §7: classify once).
// permanent: the request itself is bad → the job fails at once, the message is deleted, no retry.
// transient: the fault is ours or a dependency's → the message is left for redelivery after a backoff;
// exhausted: a transient failure on the queue's last delivery (maxReceiveCount) → the job fails there with
//   that failure's own cause, rather than going to the DLQ, whose consumer can only say that every try failed.
// A crash needs no code: the message reappears after its visibility timeout and a later delivery takes over;
//   after maxReceiveCount deliveries SQS moves it to the DLQ and the DLQ consumer fails the job.
import { errorText } from '../../shared/error-text.js';
import { PlatformError } from '../../shared/errors.js';
import type { JobError } from '../../shared/job.js';
import { ModelError } from '../model/errors.js';

/** A job input the worker cannot use (missing object, refused or undecodable image URL). */
export class InputError extends Error {
  readonly type: string;

  constructor(type: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'InputError';
    this.type = type;
  }
}

/**
 * A failure worth another delivery whose cause the customer should still see if every delivery meets it (an
 * image server that refuses connections or never answers): `type` becomes the job's error type then.
 */
export class TransientInputError extends Error {
  readonly type: string;

  constructor(type: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'TransientInputError';
    this.type = type;
  }
}

export type FailureClass =
  | { kind: 'permanent'; error: JobError }
  | { kind: 'transient'; error: JobError; delaySeconds: number }
  /** Transient, but on the last delivery the queue makes: the job fails with this error (retryable: a new job may work). */
  | { kind: 'exhausted'; error: JobError }
  | { kind: 'aborted' };

export interface RetryPolicy {
  /** Seconds before the first redelivery; doubled per delivery. */
  baseSeconds: number;
  maxSeconds: number;
  /** The jobs queue's maxReceiveCount: the delivery with this receive count is the last before the DLQ. */
  maxReceiveCount: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseSeconds: 2, maxSeconds: 300, maxReceiveCount: 5 };

/** Visibility delay for the next delivery after `receiveCount` deliveries failed transiently. */
export function backoffSeconds(receiveCount: number, options: Pick<RetryPolicy, 'baseSeconds' | 'maxSeconds'> = DEFAULT_RETRY): number {
  const exponent = Math.max(0, receiveCount - 1);
  return Math.min(options.maxSeconds, Math.round(options.baseSeconds * 2 ** exponent));
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError') && !(error instanceof ModelError);
}

const PERMANENT_MODEL_CODES = new Set(['invalid_image', 'invalid_request', 'context_too_long']);

export function classifyFailure(error: unknown, receiveCount: number, retry: RetryPolicy = DEFAULT_RETRY): FailureClass {
  if (isAbort(error)) return { kind: 'aborted' };
  if (error instanceof InputError) {
    return { kind: 'permanent', error: { type: error.type, message: error.message, retryable: false } };
  }
  if (error instanceof ModelError && !error.retryable && PERMANENT_MODEL_CODES.has(error.code)) {
    return { kind: 'permanent', error: { type: error.code, message: error.message, retryable: false } };
  }
  if (error instanceof PlatformError && !error.retryable && error.type === 'invalid_request_error') {
    return { kind: 'permanent', error: { type: error.code, message: error.message, retryable: false } };
  }
  // Everything else (AWS throttling, network, a model fault that is not the input's) is worth another delivery.
  const cause: JobError =
    error instanceof TransientInputError
      ? { type: error.type, message: error.message, retryable: true }
      : { type: 'worker_error', message: errorText(error), retryable: true };
  if (receiveCount >= retry.maxReceiveCount) {
    return { kind: 'exhausted', error: { ...cause, message: `${cause.message} (after ${receiveCount} attempts)` } };
  }
  return { kind: 'transient', error: cause, delaySeconds: backoffSeconds(receiveCount, retry) };
}
