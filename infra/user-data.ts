// Boot script of the GPU instances: join the cluster and let the ECS agent hand GPUs to tasks.
export const GPU_AMI_PARAMETER = '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id';

/** Matches the container's stopTimeout so a draining worker gets its whole grace period after SIGTERM. */
export const CONTAINER_STOP_TIMEOUT_SECONDS = 120;

export function ecsAgentConfig(clusterName: string): Record<string, string> {
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(clusterName)) throw new RangeError(`invalid ECS cluster name: ${clusterName}`);
  return {
    ECS_CLUSTER: clusterName,
    ECS_ENABLE_GPU_SUPPORT: 'true',
    ECS_ENABLE_TASK_IAM_ROLE: 'true',
    ECS_CONTAINER_STOP_TIMEOUT: `${CONTAINER_STOP_TIMEOUT_SECONDS}s`,
    // The worker image is large (CUDA runtime); reuse the cached copy when a task restarts on the same host.
    ECS_IMAGE_PULL_BEHAVIOR: 'prefer-cached',
  };
}

export function ecsUserData(clusterName: string): string {
  const lines = Object.entries(ecsAgentConfig(clusterName)).map(([key, value]) => `${key}=${value}`);
  return ['#!/bin/bash', 'cat >> /etc/ecs/ecs.config <<EOF', ...lines, 'EOF', ''].join('\n');
}
