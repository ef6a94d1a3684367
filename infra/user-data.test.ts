import { describe, expect, it } from 'vitest';
import { GPU_AMI_PARAMETER, ecsUserData } from './user-data.js';

describe('GPU instance boot script', () => {
  it('joins the cluster with GPU support, task roles and a stop timeout matching the container', () => {
    expect(ecsUserData('nexus-prod-GpuCluster-abc123')).toBe(
      [
        '#!/bin/bash',
        'cat >> /etc/ecs/ecs.config <<EOF',
        'ECS_CLUSTER=nexus-prod-GpuCluster-abc123',
        'ECS_ENABLE_GPU_SUPPORT=true',
        'ECS_ENABLE_TASK_IAM_ROLE=true',
        'ECS_CONTAINER_STOP_TIMEOUT=120s',
        'ECS_IMAGE_PULL_BEHAVIOR=prefer-cached',
        'EOF',
        '',
      ].join('\n'),
    );
  });

  it('refuses a cluster name that could break out of the heredoc', () => {
    expect(() => ecsUserData('x\nEOF\nrm -rf /')).toThrow(RangeError);
  });

  it('reads the ECS GPU AMI (Amazon Linux 2023) from its public SSM parameter', () => {
    expect(GPU_AMI_PARAMETER).toBe('/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id');
  });
});
