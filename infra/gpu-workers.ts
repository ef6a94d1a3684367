// The GPU workers as one capability: capacity (gpu-cluster.ts), the service and its image (gpu-service.ts) and
// backlog scaling (gpu-scaling.ts). Raw Pulumi AWS resources: SST's container components are Fargate-only.
import type { StageConfig } from './config.js';
import { createGpuCluster } from './gpu-cluster.js';
import { createGpuScaling } from './gpu-scaling.js';
import { createGpuService } from './gpu-service.js';
import type { CoreResources } from './runtime-env.js';

export function createGpuWorkers(config: StageConfig, resources: CoreResources) {
  const cluster = createGpuCluster(config);
  const worker = createGpuService(config, resources, cluster);
  const scaling = createGpuScaling(config, resources.jobs.queue, cluster, worker);
  return { cluster, worker, scaling };
}
