// What a customer runs on receipt: checks a Standard Webhooks v1 delivery. The signature is the standardwebhooks
// library's: it computes the expected `v1` signature and compares each presented one with its own constant-time
// comparison. The checks around it stay here, because the library's `verify()` cannot express them: it reads the
// clock itself with a fixed 5-minute tolerance (receivers and tests set both here), takes one secret (rotation
// needs several), reads only plain header records (not `Headers`, not repeated headers), and parses the
// timestamp with parseInt (`17e8` passes as 17).
import { timingSafeEqual } from 'standardwebhooks/dist/timing_safe_equal.js';
import { signatureFor } from './webhook-signing.js';

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export interface VerifyWebhookOptions {
  /** Accepted clock skew either way; the spec's reference libraries use 5 minutes. */
  toleranceSeconds?: number;
  /** Unix seconds; injectable for tests. */
  now?: () => number;
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value.join(' ') : value;
  }
  return undefined;
}

/**
 * Resolves with the parsed JSON body when any `v1` signature matches any of the given secrets (several
 * during rotation), and the timestamp is within tolerance; rejects with WebhookVerificationError otherwise.
 * The body must be the raw request text, byte for byte: re-serialised JSON does not verify.
 */
export async function verifyWebhook(body: string, headers: HeaderSource, secret: string | readonly string[], options: VerifyWebhookOptions = {}): Promise<unknown> {
  const id = header(headers, 'webhook-id');
  const timestampText = header(headers, 'webhook-timestamp');
  const signatureHeader = header(headers, 'webhook-signature');
  if (!id || !timestampText || !signatureHeader) throw new WebhookVerificationError('missing webhook headers');

  if (!/^\d{1,15}$/.test(timestampText)) throw new WebhookVerificationError('invalid webhook-timestamp');
  const timestamp = Number(timestampText);
  const now = options.now ? options.now() : Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (now - timestamp > tolerance) throw new WebhookVerificationError('webhook timestamp too old');
  if (timestamp - now > tolerance) throw new WebhookVerificationError('webhook timestamp too new');

  const encoder = new TextEncoder();
  const candidates: Uint8Array[] = [];
  for (const entry of signatureHeader.split(' ')) {
    const [version, value] = entry.split(',', 2);
    // Unknown versions and empty entries are skipped: a malformed entry must not hide a valid one beside it.
    if (version !== 'v1' || !value) continue;
    candidates.push(encoder.encode(`v1,${value}`));
  }
  if (candidates.length === 0) throw new WebhookVerificationError('no v1 signature');

  const secrets = typeof secret === 'string' ? [secret] : secret;
  for (const s of secrets) {
    const expected = encoder.encode(signatureFor(s, id, timestamp, body));
    if (candidates.some((candidate) => timingSafeEqual(candidate, expected))) {
      if (body === '') return undefined;
      const parsed: unknown = JSON.parse(body);
      return parsed;
    }
  }
  throw new WebhookVerificationError('no matching signature');
}
