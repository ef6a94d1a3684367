// GPU instance types the worker fleet may use, with what task sizing and cost estimates need. Pure data so
// config validation and tests can use it without SST. Prices are only filled in where a source is cited;
// others must be given at deploy time (NEXUS_GPU_USD_PER_HOUR) for cost figures.

export interface GpuInstanceType {
  name: string;
  gpus: number;
  gpuModel: string;
  gpuMemoryGiB: number;
  vcpus: number;
  memoryGiB: number;
  /** On-demand Linux price in us-east-1, or null when no cited figure is at hand. */
  usdPerHour: number | null;
  priceSource: string | null;
}

const G5_PRICE_SOURCE =
  'AWS on-demand Linux, us-east-1, $1.006/h as quoted in "Amazon EC2 On-Demand Pricing ... (2026)", ' + 'factualminds.com, 2026-06-17 (read 2026-11-26)';

export const GPU_INSTANCE_TYPES: readonly GpuInstanceType[] = [
  { name: 'g4dn.xlarge', gpus: 1, gpuModel: 'T4', gpuMemoryGiB: 16, vcpus: 4, memoryGiB: 16, usdPerHour: null, priceSource: null },
  { name: 'g4dn.2xlarge', gpus: 1, gpuModel: 'T4', gpuMemoryGiB: 16, vcpus: 8, memoryGiB: 32, usdPerHour: null, priceSource: null },
  { name: 'g5.xlarge', gpus: 1, gpuModel: 'A10G', gpuMemoryGiB: 24, vcpus: 4, memoryGiB: 16, usdPerHour: 1.006, priceSource: G5_PRICE_SOURCE },
  { name: 'g5.2xlarge', gpus: 1, gpuModel: 'A10G', gpuMemoryGiB: 24, vcpus: 8, memoryGiB: 32, usdPerHour: null, priceSource: null },
  { name: 'g5.12xlarge', gpus: 4, gpuModel: 'A10G', gpuMemoryGiB: 24, vcpus: 48, memoryGiB: 192, usdPerHour: null, priceSource: null },
  { name: 'g6.xlarge', gpus: 1, gpuModel: 'L4', gpuMemoryGiB: 24, vcpus: 4, memoryGiB: 16, usdPerHour: null, priceSource: null },
  { name: 'g6e.xlarge', gpus: 1, gpuModel: 'L40S', gpuMemoryGiB: 48, vcpus: 4, memoryGiB: 32, usdPerHour: null, priceSource: null },
  { name: 'g6e.12xlarge', gpus: 4, gpuModel: 'L40S', gpuMemoryGiB: 48, vcpus: 48, memoryGiB: 384, usdPerHour: null, priceSource: null },
  { name: 'p4d.24xlarge', gpus: 8, gpuModel: 'A100', gpuMemoryGiB: 40, vcpus: 96, memoryGiB: 1152, usdPerHour: null, priceSource: null },
  { name: 'p5.48xlarge', gpus: 8, gpuModel: 'H100', gpuMemoryGiB: 80, vcpus: 192, memoryGiB: 2048, usdPerHour: null, priceSource: null },
];

export function findGpuInstanceType(name: string): GpuInstanceType | undefined {
  return GPU_INSTANCE_TYPES.find((type) => type.name === name);
}

export interface TaskResources {
  /** ECS CPU units (1024 per vCPU). */
  cpu: number;
  /** Hard memory limit in MiB. */
  memoryMiB: number;
  gpus: 1;
}

/**
 * One task per GPU. The ECS agent registers less memory than the instance has (kernel, agent, driver), so a
 * task asking for its full share would never be placed; keep 10% (at least 1 GiB) of the instance back.
 */
export function taskResources(type: GpuInstanceType): TaskResources {
  const instanceMiB = type.memoryGiB * 1024;
  const reserveMiB = Math.max(1024, Math.ceil(instanceMiB * 0.1));
  return {
    cpu: Math.floor((type.vcpus * 1024) / type.gpus),
    memoryMiB: Math.floor((instanceMiB - reserveMiB) / type.gpus),
    gpus: 1,
  };
}
