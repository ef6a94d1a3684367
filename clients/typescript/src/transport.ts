// Every API call goes through here: base URL and key, a per-attempt timeout, the caller's AbortSignal, retries
// (retry.ts) and the error envelope turned into the error hierarchy (errors.ts). A request carries its
// Idempotency-Key from its first attempt to its last, so a retried create can never make a second job.
import { apiErrorFrom, ConnectionError, type ApiError } from './errors.js';
import { DEFAULT_RETRY, isRetryableStatus, parseRetryAfter, retryDelayMs, sleep, type RetryOptions } from './retry.js';

export interface TransportOptions {
  apiKey: string;
  baseURL: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  retry?: Partial<RetryOptions>;
  /** Per attempt, until the reply's headers (and body, for JSON) arrive. Default 60 s. */
  timeoutMs?: number;
}

export interface RequestOptions {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Sent as Idempotency-Key on every attempt of this request. */
  idempotencyKey?: string;
  /** Overrides the client's retry count for this request. */
  maxRetries?: number;
}

export interface Transport {
  /** The parsed JSON of a 2xx reply; throws an ApiError (after retries) otherwise. */
  json<T>(options: RequestOptions): Promise<T>;
  /** A 2xx reply whose body the caller reads (a stream); the timeout covers the headers only. */
  open(options: RequestOptions): Promise<Response>;
  /** Any URL (a presigned one), no API key; same retries. */
  external(url: string, init: RequestInit & { signal?: AbortSignal }): Promise<Response>;
  readonly baseURL: string;
  /** The client's retry policy, for callers that retry on their own (the events stream's reconnects). */
  readonly retry: RetryOptions;
}

interface Envelope {
  error?: { type?: unknown; code?: unknown; message?: unknown; param?: unknown };
  request_id?: unknown;
}

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let envelope: Envelope = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) envelope = parsed;
  } catch {
    // Not JSON (a proxy's page): the status decides the class.
  }
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'));
  return apiErrorFrom({
    status: res.status,
    type: str(envelope.error?.type),
    code: str(envelope.error?.code) ?? `http_${res.status}`,
    message: str(envelope.error?.message) ?? (text.slice(0, 200) || res.statusText || 'no message'),
    param: str(envelope.error?.param),
    requestId: str(envelope.request_id) ?? res.headers.get('request-id'),
    retryAfterSeconds: retryAfter === null ? null : retryAfter / 1000,
  });
}

/** A signal that aborts when the caller's does or after `ms`; `clear` stops the timer. */
function attemptSignal(ms: number, outer: AbortSignal | undefined): { signal: AbortSignal; clear: () => void; stopTimer: () => void; timedOut: () => boolean } {
  const controller = new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    controller.abort(new ConnectionError(`no reply within ${ms} ms`));
  }, ms);
  const onAbort = (): void => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
    // A stream keeps the caller's signal: aborting it must still cut the body being read.
    stopTimer: () => clearTimeout(timer),
    timedOut: () => expired,
  };
}

export function createTransport(options: TransportOptions): Transport {
  const baseURL = options.baseURL.replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? 60_000;

  /** Sends with retries; resolves with the first 2xx reply (headers read), throws otherwise. */
  async function send(
    url: string,
    init: RequestInit,
    signal: AbortSignal | undefined,
    maxRetries: number,
    readBody: boolean,
  ): Promise<{ res: Response; body: string | null }> {
    for (let attempt = 0; ; attempt += 1) {
      const guard = attemptSignal(timeoutMs, signal);
      let res: Response;
      try {
        res = await doFetch(url, { ...init, signal: guard.signal });
      } catch (error) {
        guard.clear();
        if (signal?.aborted) throw signal.reason;
        if (attempt >= maxRetries) throw new ConnectionError(`could not reach ${url}: ${guard.timedOut() ? 'timed out' : String(error)}`, { cause: error });
        await sleep(retryDelayMs(attempt, null, retry), signal);
        continue;
      }
      if (res.ok) {
        if (!readBody) {
          guard.stopTimer();
          return { res, body: null };
        }
        try {
          return { res, body: await res.text() };
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          if (attempt >= maxRetries) throw new ConnectionError(`reply from ${url} was cut: ${String(error)}`, { cause: error });
          await sleep(retryDelayMs(attempt, null, retry), signal);
          continue;
        } finally {
          guard.clear();
        }
      }
      if (isRetryableStatus(res.status) && attempt < maxRetries) {
        guard.clear();
        await res.body?.cancel().catch(() => undefined);
        await sleep(retryDelayMs(attempt, res.headers.get('retry-after'), retry), signal);
        continue;
      }
      try {
        throw await errorFrom(res);
      } finally {
        guard.clear();
      }
    }
  }

  function apiRequest(request: RequestOptions): { url: string; init: RequestInit } {
    const url = new URL(baseURL + request.path);
    for (const [name, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { authorization: `Bearer ${options.apiKey}`, accept: 'application/json', ...request.headers };
    if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    return { url: url.toString(), init: { method: request.method, headers, body } };
  }

  return {
    baseURL,
    retry,
    async json<T>(request: RequestOptions): Promise<T> {
      const { url, init } = apiRequest(request);
      const { body } = await send(url, init, request.signal, request.maxRetries ?? retry.maxRetries, true);
      // The API's reply, as its OpenAPI document (the generated types) describes it.
      const value: T = JSON.parse(body ?? 'null');
      return value;
    },
    async open(request) {
      const { url, init } = apiRequest(request);
      return (await send(url, init, request.signal, request.maxRetries ?? retry.maxRetries, false)).res;
    },
    async external(url, init) {
      return (await send(url, init, init.signal, retry.maxRetries, false)).res;
    },
  };
}
