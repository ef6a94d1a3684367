// Usage is counted per tenant, UTC day and model: a test whose jobs may complete on both sides of midnight adds up
// every (day, model) counter its jobs touched instead of reading one day's.
import type { JobRecord } from '../../shared/job.js';
import type { UsageIncrement, UsageStore } from '../../shared/ports.js';

const ZERO: UsageIncrement = { jobs: 0, images: 0, inputTokens: 0, outputTokens: 0, computeMs: 0, costUsdMicros: 0 };

/** The sum of the usage counters of every (completion day, model) among `rows`. */
export async function usageOfRows(table: Pick<UsageStore, 'getUsage'>, tenant: string, rows: JobRecord[]): Promise<UsageIncrement> {
  const pairs = new Map<string, [string, string]>();
  for (const r of rows) if (r.completedAt && r.model) pairs.set(`${r.completedAt.slice(0, 10)} ${r.model}`, [r.completedAt.slice(0, 10), r.model]);
  const counters = await Promise.all([...pairs.values()].map(([day, model]) => table.getUsage(tenant, day, model)));
  return counters.reduce<UsageIncrement>(
    (sum, c) => ({
      jobs: sum.jobs + (c?.jobs ?? 0),
      images: sum.images + (c?.images ?? 0),
      inputTokens: sum.inputTokens + (c?.inputTokens ?? 0),
      outputTokens: sum.outputTokens + (c?.outputTokens ?? 0),
      computeMs: sum.computeMs + (c?.computeMs ?? 0),
      costUsdMicros: sum.costUsdMicros + (c?.costUsdMicros ?? 0),
    }),
    ZERO,
  );
}
