import { describe, expect, it } from 'vitest';
import { StageConfigError, modelBundleUri, parseS3Uri, resolveStageConfig } from './config.js';
import { findGpuInstanceType, taskResources } from './gpu-catalog.js';

describe('resolveStageConfig defaults', () => {
  it('gives a dev stage no warm GPU, short retention and a tighter WAF limit', () => {
    const config = resolveStageConfig('dev');
    expect(config).toEqual({
      stage: 'dev',
      production: false,
      retention: { inputsDays: 1, outputsDays: 3, uploadsDays: 1 },
      api: { rateLimitPerIp: 500, corsOrigins: ['*'], memoryMiB: 1024, timeoutSeconds: 60, originProtection: 'oac-with-edge-signing' },
      queues: { maxReceiveCount: 5, jobsVisibilitySeconds: 120, oldestJobAlarmSeconds: 900, oldestEventAlarmSeconds: 1800 },
      gpu: {
        instance: findGpuInstanceType('g5.xlarge'),
        usdPerHour: 1.006,
        minInstances: 0,
        maxInstances: 2,
        minTasks: 0,
        maxTasks: 2,
        task: { cpu: 4096, memoryMiB: 14745, gpus: 1 },
        targetBacklogPerTask: 8,
        rootVolumeGiB: 100,
      },
      model: { bundleUri: null, name: 'nexus-mini', version: '1.2.0' },
      alarmEmail: null,
    });
  });

  it('keeps one GPU warm in prod, with longer retention and a faster job-age alarm', () => {
    const config = resolveStageConfig('prod');
    expect(config.production).toBe(true);
    expect(config.retention).toEqual({ inputsDays: 7, outputsDays: 30, uploadsDays: 1 });
    expect(config.api.rateLimitPerIp).toBe(2000);
    expect(config.queues.oldestJobAlarmSeconds).toBe(300);
    expect([config.gpu.minInstances, config.gpu.maxInstances, config.gpu.minTasks, config.gpu.maxTasks]).toEqual([1, 8, 1, 8]);
  });

  it('treats "production" like "prod" and any other stage like dev', () => {
    expect(resolveStageConfig('production').production).toBe(true);
    expect(resolveStageConfig('alice').gpu.minInstances).toBe(0);
    expect(resolveStageConfig('staging').production).toBe(false);
  });
});

describe('resolveStageConfig overrides', () => {
  it('sizes tasks per GPU on a multi-GPU instance and counts tasks as instances × GPUs', () => {
    const config = resolveStageConfig('prod', {
      NEXUS_GPU_INSTANCE_TYPE: 'g5.12xlarge',
      NEXUS_GPU_MIN_INSTANCES: '1',
      NEXUS_GPU_MAX_INSTANCES: '3',
      NEXUS_GPU_USD_PER_HOUR: '5.672',
    });
    expect(config.gpu.instance.name).toBe('g5.12xlarge');
    expect([config.gpu.minTasks, config.gpu.maxTasks]).toEqual([4, 12]);
    expect(config.gpu.task).toEqual({ cpu: 12288, memoryMiB: 44236, gpus: 1 });
    expect(config.gpu.usdPerHour).toBe(5.672);
  });

  it('has no price for an instance type without a cited figure unless one is given', () => {
    expect(resolveStageConfig('dev', { NEXUS_GPU_INSTANCE_TYPE: 'g6e.xlarge' }).gpu.usdPerHour).toBeNull();
  });

  it('raises the default maximum to a larger given minimum', () => {
    const config = resolveStageConfig('dev', { NEXUS_GPU_MIN_INSTANCES: '5' });
    expect([config.gpu.minInstances, config.gpu.maxInstances]).toEqual([5, 5]);
  });

  it('points the workers at a given bundle, adding the trailing slash', () => {
    const config = resolveStageConfig('prod', { NEXUS_MODEL_BUNDLE_URI: 's3://my-models/nexus-gen/2.0.0' });
    expect(config.model.bundleUri).toBe('s3://my-models/nexus-gen/2.0.0/');
    expect(modelBundleUri(config.model, 'app-bucket')).toBe('s3://my-models/nexus-gen/2.0.0/');
  });

  it('reads retention, CORS origins, WAF limit, origin protection and alarm email', () => {
    const config = resolveStageConfig('dev', {
      NEXUS_INPUT_RETENTION_DAYS: '2',
      NEXUS_OUTPUT_RETENTION_DAYS: '14',
      NEXUS_CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
      NEXUS_RATE_LIMIT_PER_IP: '100',
      NEXUS_API_PROTECTION: 'none',
      NEXUS_ALARM_EMAIL: 'ops@example.com',
    });
    expect(config.retention).toEqual({ inputsDays: 2, outputsDays: 14, uploadsDays: 1 });
    expect(config.api.corsOrigins).toEqual(['https://app.example.com', 'https://admin.example.com']);
    expect(config.api.rateLimitPerIp).toBe(100);
    expect(config.api.originProtection).toBe('none');
    expect(config.alarmEmail).toBe('ops@example.com');
  });

  it.each([
    [{ NEXUS_GPU_INSTANCE_TYPE: 'm5.large' }, 'unknown GPU instance type "m5.large"'],
    [{ NEXUS_GPU_MIN_INSTANCES: '3', NEXUS_GPU_MAX_INSTANCES: '2' }, 'NEXUS_GPU_MIN_INSTANCES (3) exceeds NEXUS_GPU_MAX_INSTANCES (2)'],
    [{ NEXUS_GPU_MAX_INSTANCES: '0' }, 'NEXUS_GPU_MAX_INSTANCES'],
    [{ NEXUS_MODEL_BUNDLE_URI: 'https://example.com/bundle/' }, 'NEXUS_MODEL_BUNDLE_URI'],
    [{ NEXUS_MODEL_BUNDLE_URI: 's3://bucket-only' }, 'NEXUS_MODEL_BUNDLE_URI'],
    [{ NEXUS_RATE_LIMIT_PER_IP: '5' }, 'NEXUS_RATE_LIMIT_PER_IP'],
    [{ NEXUS_ALARM_EMAIL: 'not-an-address' }, 'NEXUS_ALARM_EMAIL'],
    [{ NEXUS_API_PROTECTION: 'oac' }, 'NEXUS_API_PROTECTION'],
  ])('refuses %j', (env, message) => {
    expect(() => resolveStageConfig('dev', env)).toThrow(StageConfigError);
    expect(() => resolveStageConfig('dev', env)).toThrow(message);
  });
});

describe('bundle location', () => {
  it('defaults to models/{name}/{version}/ in the app bucket', () => {
    expect(modelBundleUri(resolveStageConfig('dev').model, 'nexus-dev-databucket')).toBe('s3://nexus-dev-databucket/models/nexus-mini/1.2.0/');
  });

  it('splits an s3 URI into bucket and prefix for IAM', () => {
    expect(parseS3Uri('s3://my-models/nexus-gen/2.0.0/')).toEqual({ bucket: 'my-models', prefix: 'nexus-gen/2.0.0/' });
    expect(() => parseS3Uri('https://my-models/x/')).toThrow(StageConfigError);
  });
});

describe('taskResources', () => {
  it('keeps 10% (at least 1 GiB) of instance memory back for the agent and OS', () => {
    const type = (name: string) => {
      const found = findGpuInstanceType(name);
      if (!found) throw new Error(`missing ${name}`);
      return found;
    };
    expect(taskResources(type('g4dn.xlarge'))).toEqual({ cpu: 4096, memoryMiB: 14745, gpus: 1 });
    expect(taskResources(type('g6e.xlarge'))).toEqual({ cpu: 4096, memoryMiB: 29491, gpus: 1 });
    expect(taskResources(type('p5.48xlarge'))).toEqual({ cpu: 24576, memoryMiB: 235929, gpus: 1 });
  });
});
