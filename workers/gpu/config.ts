// The worker's own settings, zod-parsed from the environment by main.ts (AWS settings come from
// shared/config.ts). Defaults suit the GPU container; tests and `npm start` shorten the timings.
import { z } from 'zod';
import { IMAGE_LIMITS } from '../../shared/image-limits.js';
import { DEFAULT_RETRY } from './failures.js';

const bool = z.enum(['0', '1', 'true', 'false']).transform((value) => value === '1' || value === 'true');

const envSchema = z.object({
  /** Local folder of the bundle; filled from MODEL_BUNDLE_URI at start when that is set. */
  MODEL_BUNDLE_DIR: z.string().min(1).default('models/nexus-mini'),
  /** s3://bucket/prefix of a bundle to fetch (and verify by sha256) before loading. */
  MODEL_BUNDLE_URI: z
    .string()
    .regex(/^s3:\/\/[^/]+\/.+/, 's3://bucket/prefix')
    .optional(),
  EXECUTION_PROVIDERS: z
    .string()
    .default('cpu')
    .transform((value) => value.split(',').map((p) => p.trim()))
    .pipe(z.array(z.enum(['cuda', 'cpu'])).min(1)),
  INTRA_OP_THREADS: z.coerce.number().int().min(1).optional(),
  /**
   * Whether idle intra-op threads spin (ORT's default: yes). Set false where the worker shares its cores (the
   * local platform, small CPU hosts): spinning threads take the CPU the event loop needs for the I/O that runs
   * beside the model, and slow the model itself on an oversubscribed host.
   */
  INTRA_OP_SPINNING: bool.optional(),
  WORKER_BATCH_SIZE: z.coerce.number().int().min(1).max(64).default(8),
  WORKER_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(10_000).default(20),
  /**
   * Run the model on its own thread (model-thread.ts), so the event loop's queue, table and store calls run
   * beside it; WORKER_PREFETCH then receives and claims the next batch while one runs. Both default to on
   * (set WORKER_MODEL_THREAD=false to run the model on the event loop's thread; prefetch then only slows it).
   */
  WORKER_MODEL_THREAD: bool.default(true),
  WORKER_PREFETCH: bool.optional(),
  WORKER_WAIT_SECONDS: z.coerce.number().int().min(0).max(20).default(10),
  WORKER_VISIBILITY_SECONDS: z.coerce.number().int().min(1).max(43_200).default(60),
  WORKER_HEARTBEAT_MS: z.coerce.number().int().min(100).default(20_000),
  WORKER_PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).default(500),
  WORKER_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
  WORKER_BACKOFF_BASE_SECONDS: z.coerce.number().min(0).default(2),
  WORKER_BACKOFF_MAX_SECONDS: z.coerce.number().min(0).default(300),
  /**
   * The jobs queue's maxReceiveCount (infra/config.ts, shared/aws/provision.ts: 5). A transient failure on
   * that delivery fails the job with its own cause instead of handing it to the DLQ.
   */
  WORKER_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).default(DEFAULT_RETRY.maxReceiveCount),
  WORKER_DLQ_CONSUMER: bool.default(true),
  HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(8081),
  HEALTH_HOST: z.string().min(1).default('127.0.0.1'),
  /** Local configuration only: image URLs may point at loopback (and use http there). */
  ALLOW_LOOPBACK_FETCH: bool.default(false),
  IMAGE_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Bytes of an image fetched by URL: at most the limit every input image is held to (README "Limits"). */
  IMAGE_FETCH_MAX_BYTES: z.coerce.number().int().min(1).max(IMAGE_LIMITS.maxImageBytes).default(IMAGE_LIMITS.maxImageBytes),
  /** Set by ECS inside the task; absent (local runs) turns scale-in protection off. */
  ECS_AGENT_URI: z.string().url().optional(),
  TASK_PROTECTION_MINUTES: z.coerce.number().int().min(1).max(2880).default(30),
  TASK_PROTECTION_IDLE_MS: z.coerce.number().int().min(0).default(5_000),
  TASK_PROTECTION_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(2_000),
});

export interface WorkerConfig {
  bundleDir: string;
  bundleUri: string | null;
  executionProviders: ('cuda' | 'cpu')[];
  intraOpThreads: number | undefined;
  intraOpSpinning: boolean | undefined;
  batchSize: number;
  batchWindowMs: number;
  modelThread: boolean;
  prefetch: boolean;
  waitSeconds: number;
  visibilitySeconds: number;
  heartbeatMs: number;
  progressIntervalMs: number;
  graceMs: number;
  retry: { baseSeconds: number; maxSeconds: number; maxReceiveCount: number };
  dlqConsumer: boolean;
  health: { port: number; host: string };
  allowLoopbackFetch: boolean;
  imageFetch: { timeoutMs: number; maxBytes: number };
  taskProtection: { agentUri: string | null; expiresInMinutes: number; idleMs: number; timeoutMs: number };
}

export function loadWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid worker environment: ${problems}`);
  }
  const e = parsed.data;
  if (e.WORKER_HEARTBEAT_MS >= e.WORKER_VISIBILITY_SECONDS * 1000) {
    throw new Error('WORKER_HEARTBEAT_MS must be shorter than WORKER_VISIBILITY_SECONDS, or messages reappear while their jobs run');
  }
  if (e.WORKER_BATCH_WINDOW_MS * 2 > e.WORKER_VISIBILITY_SECONDS * 1000) {
    throw new Error('WORKER_BATCH_WINDOW_MS must be at most half of WORKER_VISIBILITY_SECONDS, or messages reappear while a batch gathers');
  }
  return {
    bundleDir: e.MODEL_BUNDLE_DIR,
    bundleUri: e.MODEL_BUNDLE_URI ?? null,
    executionProviders: e.EXECUTION_PROVIDERS,
    intraOpThreads: e.INTRA_OP_THREADS,
    intraOpSpinning: e.INTRA_OP_SPINNING,
    batchSize: e.WORKER_BATCH_SIZE,
    batchWindowMs: e.WORKER_BATCH_WINDOW_MS,
    modelThread: e.WORKER_MODEL_THREAD,
    prefetch: e.WORKER_PREFETCH ?? e.WORKER_MODEL_THREAD,
    waitSeconds: e.WORKER_WAIT_SECONDS,
    visibilitySeconds: e.WORKER_VISIBILITY_SECONDS,
    heartbeatMs: e.WORKER_HEARTBEAT_MS,
    progressIntervalMs: e.WORKER_PROGRESS_INTERVAL_MS,
    graceMs: e.WORKER_GRACE_MS,
    retry: { baseSeconds: e.WORKER_BACKOFF_BASE_SECONDS, maxSeconds: e.WORKER_BACKOFF_MAX_SECONDS, maxReceiveCount: e.WORKER_MAX_RECEIVE_COUNT },
    dlqConsumer: e.WORKER_DLQ_CONSUMER,
    health: { port: e.HEALTH_PORT, host: e.HEALTH_HOST },
    allowLoopbackFetch: e.ALLOW_LOOPBACK_FETCH,
    imageFetch: { timeoutMs: e.IMAGE_FETCH_TIMEOUT_MS, maxBytes: e.IMAGE_FETCH_MAX_BYTES },
    taskProtection: {
      agentUri: e.ECS_AGENT_URI ?? null,
      expiresInMinutes: e.TASK_PROTECTION_MINUTES,
      idleMs: e.TASK_PROTECTION_IDLE_MS,
      timeoutMs: e.TASK_PROTECTION_TIMEOUT_MS,
    },
  };
}
