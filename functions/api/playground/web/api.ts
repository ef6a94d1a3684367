// The page's few calls to the API, and its errors as a person should read them. Same origin as the page, so no
// CORS; the key travels only in the Authorization header.

/** The job resource as GET /v1/jobs/{id} returns it (docs/architecture.md §4.2), as far as the page reads it. */
export interface Job {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'expired';
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  progress: { stage: string; step: number; total: number } | null;
  queue_position: number | null;
  cancel_requested: boolean;
  output: { role: 'assistant'; content: OutputPart[] } | null;
  error: { type: string; message: string; retryable: boolean } | null;
  usage: { input_tokens: number; output_tokens: number; images: number; compute_ms: number; billable: boolean } | null;
}

export type OutputPart =
  { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; expires_at: string }; width: number; height: number; sha256: string; seed: number };

export const FINAL_STATUSES: readonly Job['status'][] = ['succeeded', 'failed', 'canceled', 'expired'];
export const isFinal = (job: Job): boolean => FINAL_STATUSES.includes(job.status);

/** A non-2xx answer: the API's error envelope, or what stood in its place. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly code: string,
    message: string,
    readonly param: string | null,
    readonly requestId: string | null,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The request never got an answer (offline, connection reset, DNS, CORS). */
export class NetworkError extends Error {
  constructor(readonly what: string) {
    super(`Could not reach ${what}: the network or the server is down.`);
    this.name = 'NetworkError';
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Builds the ApiError for a non-2xx response, from the envelope when there is one. */
export async function errorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: a proxy's page, an empty 502. Said as such below.
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  const retryAfterSeconds = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null;
  const error = isRecord(body) && isRecord(body.error) ? body.error : null;
  if (error === null) {
    const what = text.trim().slice(0, 200) || response.statusText || 'no body';
    return new ApiError(
      response.status,
      'http_error',
      `http_${response.status}`,
      `The server answered HTTP ${response.status} (${what}).`,
      null,
      null,
      retryAfterSeconds,
    );
  }
  return new ApiError(
    response.status,
    str(error.type) ?? 'api_error',
    str(error.code) ?? 'unknown',
    str(error.message) ?? 'no message',
    str(error.param),
    isRecord(body) ? str(body.request_id) : null,
    retryAfterSeconds,
  );
}

const HINTS: Record<string, string> = {
  authentication_error: 'Check the API key field.',
  rate_limit_error: 'Too many requests: wait a moment and send again.',
  overloaded_error: 'The service is busy: try again shortly.',
  api_error: 'A server error: try again; if it persists, quote the request id.',
};

/** One readable line: what went wrong, what to do, and the ids support needs. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const where = error.param === null ? '' : ` (field ${error.param})`;
    const hint = HINTS[error.type] ?? '';
    const ids = [`HTTP ${error.status}`, `${error.type}/${error.code}`, error.requestId === null ? '' : `request ${error.requestId}`].filter(Boolean).join(', ');
    return `${error.message}${where}. ${hint}${hint ? ' ' : ''}[${ids}]`;
  }
  if (error instanceof NetworkError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export interface ApiClient {
  /** JSON request to the API; throws ApiError on non-2xx and NetworkError when no answer came. */
  json<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers?: Record<string, string>, signal?: AbortSignal): Promise<T>;
  /** A raw request with the key (the event stream). */
  raw(path: string, init: RequestInit): Promise<Response>;
}

export function createApiClient(options: { baseUrl: string; apiKey: () => string; fetch?: typeof fetch }): ApiClient {
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const raw = async (path: string, init: RequestInit): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${options.apiKey()}`);
    try {
      return await doFetch(new URL(path, options.baseUrl), { ...init, headers });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new NetworkError('the API');
    }
  };
  return {
    raw,
    async json<T>(method: 'GET' | 'POST', path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<T> {
      const sent = new Headers({ ...headers, accept: 'application/json' });
      if (body !== undefined) sent.set('content-type', 'application/json');
      const response = await raw(path, { method, headers: sent, signal, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      if (!response.ok) throw await errorFrom(response);
      // Same origin and the API's own contract (the OpenAPI document): read as the type the caller names.
      const value: T = await response.json();
      return value;
    },
  };
}
