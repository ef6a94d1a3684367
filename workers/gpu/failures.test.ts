import { describe, expect, it } from 'vitest';
import { invalidRequest, PlatformError } from '../../shared/errors.js';
import { ModelError } from '../model/errors.js';
import { backoffSeconds, classifyFailure, InputError, TransientInputError } from './failures.js';

describe('classifyFailure', () => {
  it('fails bad input permanently, with the input error type', () => {
    expect(classifyFailure(new InputError('image_url_refused', 'refused'), 1)).toEqual({
      kind: 'permanent',
      error: { type: 'image_url_refused', message: 'refused', retryable: false },
    });
  });

  it('fails an undecodable image from the runtime permanently', () => {
    expect(classifyFailure(new ModelError('invalid_image', 'cannot decode'), 3)).toEqual({
      kind: 'permanent',
      error: { type: 'invalid_image', message: 'cannot decode', retryable: false },
    });
  });

  it('fails a non-retryable invalid request permanently', () => {
    expect(classifyFailure(invalidRequest('too_many_images', 'at most 4 images'), 1)).toMatchObject({ kind: 'permanent', error: { type: 'too_many_images' } });
  });

  it('retries a runtime fault that is not the input\u2019s, with backoff by delivery count', () => {
    expect(classifyFailure(new ModelError('session_failed', 'ORT failed', { retryable: true }), 1)).toEqual({
      kind: 'transient',
      error: { type: 'worker_error', message: 'ORT failed', retryable: true },
      delaySeconds: 2,
    });
    expect(classifyFailure(new Error('socket hang up'), 3)).toMatchObject({ kind: 'transient', delaySeconds: 8 });
    expect(classifyFailure(new PlatformError({ type: 'overloaded_error', status: 503, code: 'busy', message: 'busy', retryable: true }), 2)).toMatchObject({
      kind: 'transient',
      delaySeconds: 4,
    });
  });

  it('fails a transient failure on the last delivery with its own cause, retryable', () => {
    const policy = { baseSeconds: 2, maxSeconds: 300, maxReceiveCount: 3 };
    const refused = new TransientInputError('image_fetch_failed', 'could not fetch image http://a/x.png: connection refused');
    expect(classifyFailure(refused, 2, policy)).toEqual({
      kind: 'transient',
      error: { type: 'image_fetch_failed', message: 'could not fetch image http://a/x.png: connection refused', retryable: true },
      delaySeconds: 4,
    });
    expect(classifyFailure(refused, 3, policy)).toEqual({
      kind: 'exhausted',
      error: { type: 'image_fetch_failed', message: 'could not fetch image http://a/x.png: connection refused (after 3 attempts)', retryable: true },
    });
    expect(classifyFailure(new Error('socket hang up'), 5)).toEqual({
      kind: 'exhausted',
      error: { type: 'worker_error', message: 'socket hang up (after 5 attempts)', retryable: true },
    });
    // A drain's abort on the last delivery is not the job's failure: it is handed back as before.
    expect(classifyFailure(new DOMException('stop', 'AbortError'), 5)).toEqual({ kind: 'aborted' });
  });

  it('reports an abort as such (cancel or drain decide what follows)', () => {
    expect(classifyFailure(new DOMException('stop', 'AbortError'), 1)).toEqual({ kind: 'aborted' });
  });
});

describe('backoffSeconds', () => {
  it('doubles per delivery and stops at the cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => backoffSeconds(n, { baseSeconds: 2, maxSeconds: 20 }))).toEqual([2, 4, 8, 16, 20]);
  });
});
