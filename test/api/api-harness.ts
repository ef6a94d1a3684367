// A real API over a private local stack (s3rver, local-aws-sqs, dynalite), called in-process through
// app.request: the same Hono app and adapters as production, without a socket per test.
import sharp from 'sharp';
import { createApp, type ApiDeps } from '../../functions/api/app.js';
import { seedApiKey } from '../../functions/api/auth-keys.js';
import { staticCatalog, type ApiSettings } from '../../functions/api/deps.js';
import type { JobRecord } from '../../shared/job.js';
import { startLocalStack, type LocalStack } from '../support/local-stack.js';

export const PEPPER = 'test-pepper';
export const MODELS = staticCatalog([{ name: 'nexus-mini', version: '1.0.0', capabilities: ['understand', 'generate', 'edit'] }]);

export interface ApiHarness {
  stack: LocalStack;
  app: ReturnType<typeof createApp>;
  /** Key of tenant `acme`. */
  key: string;
  /** Key of tenant `globex`. */
  otherKey: string;
  call(method: string, path: string, options?: { body?: unknown; key?: string | null; headers?: Record<string, string> }): Promise<Response>;
  /** Another app over the same stack with different deps (fault injection, other settings). */
  appWith(overrides: Partial<ApiDeps>): ReturnType<typeof createApp>;
  /** POST /v1/jobs as tenant `acme`; the new job's id (throws unless 202). */
  submit(body: unknown): Promise<string>;
  /** Tenant `acme`'s stored row of a job (throws when it is missing). */
  row(id: string): Promise<JobRecord>;
  stop(): Promise<void>;
}

export async function startApiHarness(settings: Partial<ApiSettings> = {}): Promise<ApiHarness> {
  const stack = await startLocalStack();
  const key = `sk_test_acme_${crypto.randomUUID()}`;
  const otherKey = `sk_test_globex_${crypto.randomUUID()}`;
  await seedApiKey(stack.table, key, 'acme', PEPPER);
  await seedApiKey(stack.table, otherKey, 'globex', PEPPER);
  const baseDeps: ApiDeps = {
    jobs: stack.table,
    objects: stack.objects,
    queue: stack.jobs,
    models: MODELS,
    settings: { apiKeyPepper: PEPPER, allowLoopbackHttp: true, rateLimitPerWindow: 100_000, waitPollMs: 50, ...settings },
  };
  const appWith = (overrides: Partial<ApiDeps>) => createApp({ ...baseDeps, ...overrides });
  const app = appWith({});
  const call: ApiHarness['call'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.key === undefined ? key : options.key;
    if (auth !== null) headers.authorization = `Bearer ${auth}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return app.request(path, { method, headers, body });
  };
  return {
    stack,
    app,
    key,
    otherKey,
    appWith,
    call,
    async submit(body) {
      const res = await call('POST', '/v1/jobs', { body });
      const job: unknown = await res.json().catch(() => null);
      if (res.status !== 202 || typeof job !== 'object' || job === null || !('id' in job) || typeof job.id !== 'string') {
        throw new Error(`POST /v1/jobs answered ${res.status}: ${JSON.stringify(job)}`);
      }
      return job.id;
    },
    async row(id) {
      const job = await stack.table.getJob('acme', id);
      if (job === null) throw new Error(`job ${id} missing`);
      return job;
    },
    stop: () => stack.stop(),
  };
}

export const textJob = (text = 'Draw a red circle.', extra: Record<string, unknown> = {}) => ({
  model: 'nexus-mini',
  messages: [{ role: 'user', content: text }],
  ...extra,
});

export async function pngBytes(width = 8, height = 8): Promise<Uint8Array> {
  const buffer = await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 10, b: 10 } } })
    .png()
    .toBuffer();
  return new Uint8Array(buffer);
}

export const dataUri = (bytes: Uint8Array, type = 'image/png'): string => `data:${type};base64,${Buffer.from(bytes).toString('base64')}`;

export interface JsonError {
  error: { type: string; code: string; message: string; param: string | null };
  request_id: string;
}
