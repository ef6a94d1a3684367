// The one place that reads the environment. Only entry files (handler.ts, serve.ts, main.ts, scripts) call
// loadConfig; everything else receives the parts it needs as options.
import { z } from 'zod';
import type { AwsEndpoints } from './aws/clients.js';

const optionalUrl = z.url().optional();

const envSchema = z.object({
  AWS_REGION: z.string().min(1).default('us-east-1'),
  /** Set all three to talk to the local AWS-protocol servers (npm start sets them itself). */
  S3_ENDPOINT: optionalUrl,
  SQS_ENDPOINT: optionalUrl,
  DYNAMODB_ENDPOINT: optionalUrl,
  BUCKET_NAME: z.string().min(3).default('nexus-local'),
  TABLE_NAME: z.string().min(3).default('nexus-jobs'),
  JOBS_QUEUE_URL: optionalUrl,
  JOBS_DLQ_URL: optionalUrl,
  EVENTS_QUEUE_URL: optionalUrl,
  EVENTS_DLQ_URL: optionalUrl,
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** A development API key that npm start registers for the `dev` tenant. */
  DEV_API_KEY: z.string().min(16).default('sk_dev_local_0123456789abcdef'),
  DEV_ADMIN_KEY: z.string().min(16).default('sk_admin_local_0123456789abcdef'),
  DATA_DIR: z.string().min(1).default('.data'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** Mixed into API key hashes; an SST secret in AWS. The default is for the local platform only. */
  API_KEY_PEPPER: z.string().min(8).default('local-dev-pepper'),
  /** Plain-http webhooks and image URLs to loopback (local platform and tests only). */
  ALLOW_LOOPBACK_HTTP: z
    .enum(['true', 'false', '1', '0'])
    .default('false')
    .transform((v) => v === 'true' || v === '1'),
  /** Per-tenant API requests per minute. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
});

export interface Config {
  region: string;
  /** null in AWS: the SDK resolves endpoints and credentials itself. */
  endpoints: AwsEndpoints | null;
  bucket: string;
  table: string;
  queues: { jobs: string | null; jobsDlq: string | null; events: string | null; eventsDlq: string | null };
  host: string;
  port: number;
  devApiKey: string;
  /** npm start's operator key (/v1/admin/*). */
  devAdminKey: string;
  dataDir: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  api: { keyPepper: string; allowLoopbackHttp: boolean; rateLimitPerMinute: number };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${problems}`);
  }
  const e = parsed.data;
  const given = [e.S3_ENDPOINT, e.SQS_ENDPOINT, e.DYNAMODB_ENDPOINT].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) throw new ConfigError('set all of S3_ENDPOINT, SQS_ENDPOINT, DYNAMODB_ENDPOINT or none');
  const endpoints = e.S3_ENDPOINT && e.SQS_ENDPOINT && e.DYNAMODB_ENDPOINT ? { s3: e.S3_ENDPOINT, sqs: e.SQS_ENDPOINT, dynamodb: e.DYNAMODB_ENDPOINT } : null;
  return {
    region: e.AWS_REGION,
    endpoints,
    bucket: e.BUCKET_NAME,
    table: e.TABLE_NAME,
    queues: {
      jobs: e.JOBS_QUEUE_URL ?? null,
      jobsDlq: e.JOBS_DLQ_URL ?? null,
      events: e.EVENTS_QUEUE_URL ?? null,
      eventsDlq: e.EVENTS_DLQ_URL ?? null,
    },
    host: e.HOST,
    port: e.PORT,
    devApiKey: e.DEV_API_KEY,
    devAdminKey: e.DEV_ADMIN_KEY,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    api: { keyPepper: e.API_KEY_PEPPER, allowLoopbackHttp: e.ALLOW_LOOPBACK_HTTP, rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE },
  };
}
