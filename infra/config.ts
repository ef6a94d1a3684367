// Stage configuration of the AWS deployment: defaults per stage, overridable from the deploying shell's
// environment (NEXUS_*). Pure (no SST or Pulumi imports) so vitest can exercise it; infra/*.ts reads it once
// in sst.config.ts's run().
import { z } from 'zod';
import { findGpuInstanceType, taskResources, type GpuInstanceType, type TaskResources } from './gpu-catalog.js';

export interface StageConfig {
  stage: string;
  production: boolean;
  retention: { inputsDays: number; outputsDays: number; uploadsDays: number };
  api: {
    rateLimitPerIp: number;
    corsOrigins: string[];
    memoryMiB: number;
    timeoutSeconds: number;
    /** 'none' leaves the function URL public (bodies up to Lambda's 6 MB) but lets callers skip the WAF. */
    originProtection: 'oac-with-edge-signing' | 'none';
  };
  queues: { maxReceiveCount: number; jobsVisibilitySeconds: number; oldestJobAlarmSeconds: number; oldestEventAlarmSeconds: number };
  gpu: {
    instance: GpuInstanceType;
    usdPerHour: number | null;
    minInstances: number;
    maxInstances: number;
    minTasks: number;
    maxTasks: number;
    task: TaskResources;
    /** Visible jobs one task should have waiting: (acceptable wait) ÷ (seconds per job). */
    targetBacklogPerTask: number;
    rootVolumeGiB: number;
  };
  model: {
    /** s3://bucket/prefix/ of the bundle; null means models/{name}/{version}/ in the app's own bucket. */
    bundleUri: string | null;
    name: string;
    version: string;
  };
  alarmEmail: string | null;
}

export class StageConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageConfigError';
  }
}

interface StageDefaults {
  retention: StageConfig['retention'];
  rateLimitPerIp: number;
  instanceType: string;
  minInstances: number;
  maxInstances: number;
}

// prod keeps one GPU warm: a cold start (instance boot, image pull, bundle fetch) takes minutes.
const PROD: StageDefaults = {
  retention: { inputsDays: 7, outputsDays: 30, uploadsDays: 1 },
  rateLimitPerIp: 2000,
  instanceType: 'g5.xlarge',
  minInstances: 1,
  maxInstances: 8,
};

const DEV: StageDefaults = {
  retention: { inputsDays: 1, outputsDays: 3, uploadsDays: 1 },
  rateLimitPerIp: 500,
  instanceType: 'g5.xlarge',
  minInstances: 0,
  maxInstances: 2,
};

export const PRODUCTION_STAGES: readonly string[] = ['prod', 'production'];

export const DEFAULT_MODEL = { name: 'nexus-mini', version: '1.2.0' } as const;

const count = z.coerce.number().int().min(0);
const positive = z.coerce.number().int().min(1);

const overridesSchema = z.object({
  NEXUS_GPU_INSTANCE_TYPE: z.string().min(1).optional(),
  NEXUS_GPU_USD_PER_HOUR: z.coerce.number().positive().optional(),
  NEXUS_GPU_MIN_INSTANCES: count.optional(),
  NEXUS_GPU_MAX_INSTANCES: positive.optional(),
  NEXUS_GPU_TARGET_BACKLOG: positive.optional(),
  NEXUS_MODEL_BUNDLE_URI: z
    .string()
    .regex(/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\S+$/, 's3://bucket/prefix')
    // A trailing slash keeps the workers' IAM grant (prefix*) from matching sibling prefixes.
    .transform((uri) => (uri.endsWith('/') ? uri : `${uri}/`))
    .optional(),
  NEXUS_MODEL_NAME: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/)
    .optional(),
  NEXUS_MODEL_VERSION: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
    .optional(),
  NEXUS_INPUT_RETENTION_DAYS: positive.optional(),
  NEXUS_OUTPUT_RETENTION_DAYS: positive.optional(),
  // AWS WAF rate-based rules accept 10 to 2,000,000,000 requests per 5 minutes.
  NEXUS_RATE_LIMIT_PER_IP: z.coerce.number().int().min(10).max(2_000_000_000).optional(),
  NEXUS_CORS_ORIGINS: z.string().min(1).optional(),
  NEXUS_API_PROTECTION: z.enum(['oac-with-edge-signing', 'none']).optional(),
  NEXUS_ALARM_EMAIL: z.email().optional(),
});

export function resolveStageConfig(stage: string, env: Record<string, string | undefined> = {}): StageConfig {
  const parsed = overridesSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new StageConfigError(`invalid stage config for "${stage}": ${problems}`);
  }
  const o = parsed.data;
  const production = PRODUCTION_STAGES.includes(stage);
  const defaults = production ? PROD : DEV;

  const instanceName = o.NEXUS_GPU_INSTANCE_TYPE ?? defaults.instanceType;
  const instance = findGpuInstanceType(instanceName);
  if (!instance) throw new StageConfigError(`unknown GPU instance type "${instanceName}" (see infra/gpu-catalog.ts)`);
  const minInstances = o.NEXUS_GPU_MIN_INSTANCES ?? defaults.minInstances;
  const maxInstances = o.NEXUS_GPU_MAX_INSTANCES ?? Math.max(defaults.maxInstances, minInstances);
  if (minInstances > maxInstances) {
    throw new StageConfigError(`NEXUS_GPU_MIN_INSTANCES (${minInstances}) exceeds NEXUS_GPU_MAX_INSTANCES (${maxInstances})`);
  }

  return {
    stage,
    production,
    retention: {
      inputsDays: o.NEXUS_INPUT_RETENTION_DAYS ?? defaults.retention.inputsDays,
      outputsDays: o.NEXUS_OUTPUT_RETENTION_DAYS ?? defaults.retention.outputsDays,
      uploadsDays: defaults.retention.uploadsDays,
    },
    api: {
      rateLimitPerIp: o.NEXUS_RATE_LIMIT_PER_IP ?? defaults.rateLimitPerIp,
      corsOrigins: o.NEXUS_CORS_ORIGINS ? o.NEXUS_CORS_ORIGINS.split(',').map((origin) => origin.trim()) : ['*'],
      memoryMiB: 1024,
      // CloudFront waits at most 60 s for an origin by default; Prefer: wait must finish inside that.
      timeoutSeconds: 60,
      originProtection: o.NEXUS_API_PROTECTION ?? 'oac-with-edge-signing',
    },
    queues: {
      maxReceiveCount: 5,
      jobsVisibilitySeconds: 120,
      oldestJobAlarmSeconds: production ? 300 : 900,
      // Dispatcher retries re-send events with delays of up to 15 minutes per hop.
      oldestEventAlarmSeconds: 1800,
    },
    gpu: {
      instance,
      usdPerHour: o.NEXUS_GPU_USD_PER_HOUR ?? instance.usdPerHour,
      minInstances,
      maxInstances,
      minTasks: minInstances * instance.gpus,
      maxTasks: maxInstances * instance.gpus,
      task: taskResources(instance),
      targetBacklogPerTask: o.NEXUS_GPU_TARGET_BACKLOG ?? 8,
      rootVolumeGiB: 100,
    },
    model: {
      bundleUri: o.NEXUS_MODEL_BUNDLE_URI ?? null,
      name: o.NEXUS_MODEL_NAME ?? DEFAULT_MODEL.name,
      version: o.NEXUS_MODEL_VERSION ?? DEFAULT_MODEL.version,
    },
    alarmEmail: o.NEXUS_ALARM_EMAIL ?? null,
  };
}

/** Where the workers fetch the bundle: the configured URI, or the app bucket's models/{name}/{version}/. */
export function modelBundleUri(model: StageConfig['model'], appBucket: string): string {
  return model.bundleUri ?? `s3://${appBucket}/models/${model.name}/${model.version}/`;
}

/** Splits s3://bucket/prefix/ for IAM resources. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!match || match[1] === undefined || match[2] === undefined) throw new StageConfigError(`not an s3:// URI: ${uri}`);
  return { bucket: match[1], prefix: match[2] };
}
