// The billing side of the job table: per-day usage rollups read back by range, and one billing line per
// billed job, the feed `GET /v1/usage/export` streams. Both are written by the worker's usage count, once
// per job whatever the queue does (the rollup keeps counted job ids; a line's key is its job).
import type { Usage } from './job.js';
import type { UsageIncrement } from './ports.js';

export interface UsageDay extends UsageIncrement {
  day: string;
  model: string;
}

export interface BillingLine {
  jobId: string;
  tenant: string;
  model: string;
  createdAt: string;
  completedAt: string;
  usage: Usage;
}

export interface UsageLedger {
  /** Every usage rollup of the tenant from `fromDay` to `toDay` (YYYY-MM-DD, inclusive), by day then model. */
  listUsage(tenant: string, fromDay: string, toDay: string): Promise<UsageDay[]>;
  /** Idempotent: the line of a job is one row, keyed by its completion time and id. */
  putBillingLine(line: BillingLine): Promise<void>;
  /** The tenant's lines of jobs completed in `month` (YYYY-MM, UTC), oldest first, read page by page. */
  billingLines(tenant: string, month: string): AsyncIterable<BillingLine>;
}
