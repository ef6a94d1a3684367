// A small client for the AWS JSON protocol (DynamoDB, SQS), for the calls on the API's hot path: one
// conditional PutItem and SendMessage(Batch) per job. The SDK's middleware stack, endpoint rules, signer and
// serde cost about 1.5 ms of CPU per call; this path signs with sigv4.ts and sends the JSON body as is.
// What it keeps from the SDK: credentials and endpoints come from the SDK clients' own config (clients.ts),
// retries of throttling, 5xx and network errors (3 attempts, jittered exponential backoff), and errors named
// by their AWS code (`error.name === 'ConditionalCheckFailedException'`). What it leaves out: response
// checksums (DynamoDB's x-amz-crc32, SQS's MD5 of bodies), clock-skew correction and the retry quota.
import { createSigV4Signer, type AwsCredentials, type SigV4Crypto } from './sigv4.js';

export interface HttpReply {
  status: number;
  text: string;
  header(name: string): string | null;
}

/** POSTs a body; rejects only when no HTTP answer came back. */
export type HttpTransport = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string }) => Promise<HttpReply>;

export const fetchTransport: HttpTransport = async (url, init) => {
  // fetch sets Host from the URL itself (the same value the signature covers).
  const { host: _host, ...headers } = init.headers;
  const reply = await fetch(url, { method: init.method, headers, body: init.body });
  return { status: reply.status, text: await reply.text(), header: (name) => reply.headers.get(name) };
};

export interface AwsJsonOptions {
  /** Endpoint origin, e.g. https://dynamodb.us-east-1.amazonaws.com or a local server. */
  endpoint: string | (() => Promise<string>);
  region: string;
  /** Signing name. */
  service: string;
  /** X-Amz-Target prefix: `DynamoDB_20120810`, `AmazonSQS`. */
  targetPrefix: string;
  credentials: () => Promise<AwsCredentials>;
  transport?: HttpTransport;
  crypto?: SigV4Crypto;
  /** Sent with every call (SQS: x-amzn-query-mode). */
  headers?: Record<string, string>;
  maxAttempts?: number;
  /** Base of the exponential backoff between attempts. */
  retryBaseMs?: number;
  now?: () => Date;
}

/** Calls one operation with a JSON input; resolves with the decoded reply. */
export type AwsJsonCall = (operation: string, input: object) => Promise<Record<string, unknown>>;

export class AwsServiceError extends Error {
  constructor(
    /** The AWS error code, also the error's name: ConditionalCheckFailedException, QueueDoesNotExist. */
    readonly code: string,
    message: string,
    readonly status: number,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = code;
  }
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'LimitExceededException',
  'SlowDown',
  'EC2ThrottledException',
]);

/** `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` or `Code:http://…` → the bare code. */
const bareCode = (raw: string): string => raw.slice(raw.lastIndexOf('#') + 1).split(':')[0] ?? raw;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function toServiceError(status: number, body: Record<string, unknown>, header: (name: string) => string | null): AwsServiceError {
  const typeField = typeof body.__type === 'string' ? body.__type : typeof body.code === 'string' ? body.code : null;
  const code = bareCode(header('x-amzn-errortype') ?? typeField ?? `Http${status}`);
  const messageField = body.message ?? body.Message;
  const message = typeof messageField === 'string' ? messageField : `${code} (HTTP ${status})`;
  return new AwsServiceError(code, message, status, status >= 500 || status === 429 || THROTTLING.has(code));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createAwsJsonCall(options: AwsJsonOptions): AwsJsonCall {
  const transport = options.transport ?? fetchTransport;
  const sign = createSigV4Signer({ region: options.region, service: options.service, crypto: options.crypto });
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const retryBaseMs = options.retryBaseMs ?? 100;
  const now = options.now ?? (() => new Date());
  let endpoint: Promise<URL> | null = null;
  const resolveEndpoint = (): Promise<URL> =>
    (endpoint ??= (typeof options.endpoint === 'string' ? Promise.resolve(options.endpoint) : options.endpoint()).then((origin) => new URL(origin)));

  const once = async (operation: string, body: string): Promise<Record<string, unknown>> => {
    const url = await resolveEndpoint();
    const headers = await sign(
      {
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${options.targetPrefix}.${operation}`, ...options.headers },
        body,
      },
      await options.credentials(),
      now(),
    );
    const reply = await transport(url.href, { method: 'POST', headers, body });
    const parsed = parseBody(reply.text);
    if (reply.status >= 200 && reply.status < 300) return parsed;
    throw toServiceError(reply.status, parsed, reply.header);
  };

  return async (operation, input) => {
    const body = JSON.stringify(input);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await once(operation, body);
      } catch (error) {
        // No HTTP answer (reset, refused, DNS) is as retryable as a 5xx; a 4xx other than throttling is not.
        const retryable = error instanceof AwsServiceError ? error.retryable : true;
        if (!retryable || attempt >= maxAttempts) throw error;
        await sleep(Math.random() * Math.min(20_000, retryBaseMs * 2 ** attempt));
      }
    }
  };
}
