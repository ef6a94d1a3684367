// Prints the README's cost figures from infra/cost.ts for a stage's instance type:
//   npx tsx infra/print-costs.ts [stage]   (NEXUS_* overrides apply, as in sst deploy)
// Last line: one JSON object.
import { resolveStageConfig } from './config.js';
import { estimateCost } from './cost.js';

const stage = process.argv[2] ?? 'prod';
const config = resolveStageConfig(stage, process.env);
const price = config.gpu.usdPerHour;
if (price === null) {
  console.error(`no price for ${config.gpu.instance.name}: set NEXUS_GPU_USD_PER_HOUR`);
  process.exit(1);
}
const base = { gpuUsdPerHour: price, gpusPerInstance: config.gpu.instance.gpus };
const idleCold = estimateCost({ ...base, warmInstances: 0, gpuSecondsPerImage: 0 }).idleUsdPerHour;
const idleWarm = estimateCost({ ...base, warmInstances: config.gpu.minInstances, gpuSecondsPerImage: 0 }).idleUsdPerHour;
const perImageSeconds = [0.5, 2, 10];
const per1000 = perImageSeconds.map((s) => ({ gpu_seconds_per_image: s, usd: estimateCost({ ...base, warmInstances: 0, gpuSecondsPerImage: s }).per1000ImagesUsd }));

console.log(`instance ${config.gpu.instance.name} at $${price}/h (${config.gpu.instance.priceSource ?? 'NEXUS_GPU_USD_PER_HOUR'})`);
console.log(`idle per hour: $${idleCold.toFixed(3)} with no warm instance, $${idleWarm.toFixed(3)} with ${config.gpu.minInstances} (stage ${stage})`);
for (const row of per1000) console.log(`per 1,000 images at ${row.gpu_seconds_per_image} GPU-s/image: $${row.usd.toFixed(3)}`);
console.log(
  JSON.stringify({
    stage,
    instance_type: config.gpu.instance.name,
    usd_per_hour: price,
    idle_usd_per_hour_cold: Number(idleCold.toFixed(4)),
    idle_usd_per_hour_warm: Number(idleWarm.toFixed(4)),
    warm_instances: config.gpu.minInstances,
    per_1000_images: per1000.map((row) => ({ ...row, usd: Number(row.usd.toFixed(4)) })),
  }),
);
