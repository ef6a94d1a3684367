// Every non-2xx reply of the API goes through toErrorResponse (docs/architecture.md §4.3), so the envelope has exactly
// one shape. Validation failures become invalid_request_error with `param` pointing into the request.
import { HTTPException } from 'hono/http-exception';
import type { z } from '@hono/zod-openapi';
import { PlatformError, invalidRequest } from '../../shared/errors.js';
import type { ErrorEnvelope } from './schemas/error.js';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

/** `['messages', 0, 'content', 1]` → `messages[0].content[1]`. */
export function paramPath(path: readonly PathKey[]): string | null {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? null : out;
}

interface Located {
  path: PathKey[];
  message: string;
}

/**
 * A union failure lists every branch's complaints; the branch that got furthest into the value is the
 * one the client meant (a content array with a bad part, not "expected string").
 */
function locate(issue: Issue, base: PathKey[]): Located {
  const path = [...base, ...issue.path];
  if (issue.code === 'unrecognized_keys') {
    return { path: [...path, issue.keys[0] ?? ''], message: `unknown field ${JSON.stringify(issue.keys[0] ?? '')}` };
  }
  if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0) {
    // Deepest first; at the same depth, a branch whose type matched but a constraint failed (an array with too
    // many parts) says more than one that wanted another type.
    let best: (Located & { typeMismatch: boolean }) | null = null;
    let missing = false;
    for (const branch of issue.errors) {
      const first = branch[0];
      if (first === undefined) continue;
      const typeMismatch = first.code === 'invalid_type' || first.code === 'invalid_union';
      if (first.code === 'invalid_type' && first.path.length === 0 && / received undefined$/.test(first.message)) missing = true;
      const candidate = { ...locate(first, path), typeMismatch };
      const deeper = best === null || candidate.path.length > best.path.length;
      const sameDepthBetter = best !== null && candidate.path.length === best.path.length && best.typeMismatch && !typeMismatch;
      if (deeper || sameDepthBetter) best = candidate;
    }
    if (best !== null && (best.path.length > path.length || !best.typeMismatch)) return { path: best.path, message: best.message };
    if (missing) return { path, message: 'required' };
    return { path, message: issue.message === 'Invalid input' ? 'value has the wrong type' : issue.message };
  }
  return { path, message: issue.message };
}

export function validationError(error: z.ZodError): PlatformError {
  const first = error.issues[0];
  if (first === undefined) return invalidRequest('invalid_request', 'request is invalid');
  const { path, message } = locate(first, []);
  const param = paramPath(path);
  return invalidRequest('invalid_parameter', param === null ? message : `${param}: ${message}`, param);
}

/** Maps anything thrown inside a handler to the platform error the client sees. */
export function toPlatformError(err: unknown): PlatformError {
  if (err instanceof PlatformError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return invalidRequest('body_too_large', 'request body is too large', null, 413);
    if (err.status === 415) return invalidRequest('unsupported_media_type', 'Content-Type must be application/json', null, 415);
    if (err.status === 400) return invalidRequest('invalid_json', 'request body is not valid JSON');
    if (err.status < 500) return invalidRequest('invalid_request', err.message || 'invalid request', null, err.status);
  }
  return new PlatformError({ type: 'api_error', status: 500, code: 'internal_error', message: 'internal error', retryable: true, cause: err });
}

export function errorBody(err: PlatformError, requestId: string): ErrorEnvelope {
  return { error: { type: err.type, code: err.code, message: err.message, param: err.param }, request_id: requestId };
}

export const unavailable = (code: string, message: string, cause?: unknown): PlatformError =>
  new PlatformError({ type: 'overloaded_error', status: 503, code, message, retryable: true, retryAfterSeconds: 1, cause });

export const conflict = (code: string, message: string, param: string | null = null): PlatformError =>
  new PlatformError({ type: 'conflict_error', status: 409, code, message, param });
