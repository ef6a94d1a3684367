// One signed POST of one event to one endpoint, classified once: success (2xx), gone (410), or a failure
// worth retrying (anything else, redirects included: a webhook URL must answer itself).
import { createGuardedFetch, FetchLimitError, type Connector } from '../../shared/guarded-fetch.js';
import { SsrfRefusedError, type SsrfGuard } from '../../shared/ssrf-guard.js';
import { signWebhook } from '../../shared/webhook-signing.js';
import { parseRetryAfter } from './backoff.js';

export type AttemptErrorClass = 'redirect' | 'http_error' | 'gone' | 'timeout' | 'connection_error' | 'dns_failed' | 'ssrf_refused' | 'response_too_large';

export interface AttemptOutcome {
  ok: boolean;
  status: number | null;
  latencyMs: number;
  errorClass: AttemptErrorClass | null;
  retryAfterSeconds: number | null;
  /** No later attempt can succeed (the URL is refused by policy, or the endpoint is gone). */
  permanent: boolean;
}

export interface WebhookRequest {
  url: string;
  /** webhook-id: the event id, stable across retries. */
  id: string;
  body: string;
  secrets: readonly string[];
}

export interface WebhookSenderOptions {
  guard: SsrfGuard;
  connect: Connector;
  /** docs/architecture.md §4.4: an answer within 15 s or the attempt failed. */
  timeoutMs?: number;
  now?: () => Date;
}

export type WebhookSender = (request: WebhookRequest) => Promise<AttemptOutcome>;

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const now = options.now ?? (() => new Date());
  // Receivers answer with a status; their body is read only to free the connection, so keep it small.
  const fetch = createGuardedFetch({ guard: options.guard, connect: options.connect, timeoutMs: options.timeoutMs ?? 15_000, maxRedirects: 0, maxBytes: 256 * 1024 });

  return async (request) => {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const failure = (errorClass: AttemptErrorClass, permanent = false, status: number | null = null): AttemptOutcome => ({
      ok: false,
      status,
      latencyMs: elapsed(),
      errorClass,
      retryAfterSeconds: null,
      permanent,
    });

    const headers = await signWebhook({ id: request.id, timestamp: now().getTime() / 1000, body: request.body, secrets: request.secrets });
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'nexus-webhooks/1' },
        body: request.body,
      });
      const { status } = response;
      if (status >= 200 && status < 300) return { ok: true, status, latencyMs: elapsed(), errorClass: null, retryAfterSeconds: null, permanent: false };
      if (status === 410) return failure('gone', true, status);
      return {
        ...failure(status >= 300 && status < 400 ? 'redirect' : 'http_error', false, status),
        retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after'), now()),
      };
    } catch (error) {
      if (error instanceof SsrfRefusedError) return error.code === 'dns_failed' ? failure('dns_failed') : failure('ssrf_refused', true);
      if (error instanceof FetchLimitError) return failure(error.limit === 'timeout' ? 'timeout' : 'response_too_large');
      return failure('connection_error');
    }
  };
}
