// Rough cost model behind the README's figures: what the stack costs idle per hour and per 1,000 images.
// The GPU dominates; the other unit prices are approximate us-east-1 list prices (not individually cited),
// kept here in one place so the arithmetic is visible and testable.

export const HOURS_PER_MONTH = 730;

/** Public IPv4 addresses are billed per hour since 2024-02; each GPU instance has one (no NAT gateway). */
export const PUBLIC_IPV4_USD_PER_HOUR = 0.005;

export interface FixedItem {
  item: string;
  usdPerMonth: number;
}

/** Charges that run whether or not a job arrives (approximate list prices). */
export const FIXED_MONTHLY: readonly FixedItem[] = [
  { item: 'WAF web ACL ($5) + 4 rules ($1 each: rate limit, 3 managed groups)', usdPerMonth: 9 },
  { item: 'CloudWatch alarms: 4 queue alarms, wake alarm (2 metrics), 2 target-tracking alarms (2 metrics each)', usdPerMonth: 1.0 },
  { item: 'ECS Container Insights (task-count metrics for one cluster and service), roughly', usdPerMonth: 3 },
  { item: 'ECR storage for the worker image (~6 GB at $0.10/GB-month)', usdPerMonth: 0.6 },
  { item: "Route 53 private hosted zone (the Cloud Map namespace SST's Vpc creates)", usdPerMonth: 0.5 },
];

/** Requests one single-image job makes, and their unit prices in USD (approximate list prices). */
export const PER_JOB_REQUESTS: readonly { item: string; count: number; usdEach: number }[] = [
  { item: 'CloudFront HTTPS requests (create + 3 polls)', count: 4, usdEach: 0.01 / 10_000 },
  { item: 'WAF requests', count: 4, usdEach: 0.6 / 1_000_000 },
  { item: 'Lambda API invocations (1 GB arm64, ~100 ms each)', count: 4, usdEach: 0.2 / 1_000_000 + 0.1 * 0.0000133334 },
  { item: 'SQS requests (send, receive, heartbeats, delete, events)', count: 12, usdEach: 0.4 / 1_000_000 },
  { item: 'DynamoDB on-demand writes (row, transitions, progress, usage, events)', count: 12, usdEach: 0.625 / 1_000_000 },
  { item: 'DynamoDB on-demand reads', count: 8, usdEach: 0.125 / 1_000_000 },
  { item: 'S3 PUTs (input, output)', count: 2, usdEach: 0.005 / 1000 },
  { item: 'S3 GETs (worker input, customer download)', count: 2, usdEach: 0.0004 / 1000 },
  { item: 'Webhook dispatcher Lambda (256 MB, ~300 ms, 2 events)', count: 2, usdEach: 0.2 / 1_000_000 + 0.3 * 0.25 * 0.0000133334 },
];

export interface CostInput {
  gpuUsdPerHour: number;
  gpusPerInstance: number;
  /** Instances kept running with no load (the stage's minimum). */
  warmInstances: number;
  /** GPU-seconds one image takes on one GPU at the batch size used (wall time ÷ images per batch). */
  gpuSecondsPerImage: number;
}

export interface CostEstimate {
  idleUsdPerHour: number;
  fixedUsdPerHour: number;
  per1000ImagesUsd: number;
  per1000ImagesGpuUsd: number;
  per1000ImagesRequestsUsd: number;
}

export function requestsUsdPerJob(): number {
  return PER_JOB_REQUESTS.reduce((sum, r) => sum + r.count * r.usdEach, 0);
}

export function estimateCost(input: CostInput): CostEstimate {
  const instanceUsdPerHour = input.gpuUsdPerHour + PUBLIC_IPV4_USD_PER_HOUR;
  const fixedUsdPerHour = FIXED_MONTHLY.reduce((sum, f) => sum + f.usdPerMonth, 0) / HOURS_PER_MONTH;
  const gpuUsdPerSecond = instanceUsdPerHour / input.gpusPerInstance / 3600;
  const per1000ImagesGpuUsd = 1000 * input.gpuSecondsPerImage * gpuUsdPerSecond;
  const per1000ImagesRequestsUsd = 1000 * requestsUsdPerJob();
  return {
    idleUsdPerHour: input.warmInstances * instanceUsdPerHour + fixedUsdPerHour,
    fixedUsdPerHour,
    per1000ImagesUsd: per1000ImagesGpuUsd + per1000ImagesRequestsUsd,
    per1000ImagesGpuUsd,
    per1000ImagesRequestsUsd,
  };
}
