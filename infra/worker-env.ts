// The worker container's own settings (workers/gpu/config.ts reads them), chosen for the GPU instance.
export const WORKER_HEALTH_PORT = 8081;

export interface WorkerEnvironmentInput {
  bundleUri: string;
  stopTimeoutSeconds: number;
  /** The jobs queue's maxReceiveCount: the worker fails a transient failure on that delivery with its cause. */
  maxReceiveCount: number;
}

export function workerEnvironment(input: WorkerEnvironmentInput): Record<string, string> {
  return {
    NODE_ENV: 'production',
    MODEL_BUNDLE_URI: input.bundleUri,
    MODEL_BUNDLE_DIR: '/var/lib/nexus/bundle',
    EXECUTION_PROVIDERS: 'cuda,cpu',
    HEALTH_HOST: '127.0.0.1',
    HEALTH_PORT: String(WORKER_HEALTH_PORT),
    // Drain within ECS's stop timeout, leaving 10 s to release what is left before SIGKILL.
    WORKER_GRACE_MS: String(Math.max(0, input.stopTimeoutSeconds - 10) * 1000),
    WORKER_DLQ_CONSUMER: 'true',
    WORKER_MAX_RECEIVE_COUNT: String(input.maxReceiveCount),
  };
}

/** ECS runs this inside the container; node is the only tool the image is sure to have. */
export function healthCheckCommand(port: number): string[] {
  return ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${port}/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`];
}
