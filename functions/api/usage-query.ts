// GET /v1/usage's query: calendar dates (UTC), a bounded range, and the grouping; and the grouping itself.
import { invalidRequest } from '../../shared/errors.js';
import type { UsageIncrement } from '../../shared/ports.js';
import type { UsageDay } from '../../shared/usage-ledger.js';

/** Longest range one request may ask for. */
export const MAX_USAGE_DAYS = 366;
const DAY_MS = 86_400_000;

/** A real calendar date (2026-02-30 is not), as its UTC midnight in ms; null otherwise. */
export function parseDay(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const ms = Date.parse(`${value}T00:00:00.000Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value ? null : ms;
}

/** A real month, YYYY-MM (UTC); false otherwise. */
export const isMonth = (value: string): boolean => /^\d{4}-(0[1-9]|1[0-2])$/.test(value);

export interface UsageRange {
  from: string;
  to: string;
}

/** Defaults: `to` today, `from` the first day of `to`'s month. */
export function usageRange(query: { from?: string | undefined; to?: string | undefined }, now: Date): UsageRange {
  const to = query.to ?? now.toISOString().slice(0, 10);
  const toMs = parseDay(to);
  if (toMs === null) throw invalidRequest('invalid_date', 'to must be a date, YYYY-MM-DD (UTC)', 'to');
  const from = query.from ?? `${to.slice(0, 8)}01`;
  const fromMs = parseDay(from);
  if (fromMs === null) throw invalidRequest('invalid_date', 'from must be a date, YYYY-MM-DD (UTC)', 'from');
  if (fromMs > toMs) throw invalidRequest('invalid_date_range', `from (${from}) must not be after to (${to})`, 'from');
  const days = (toMs - fromMs) / DAY_MS + 1;
  if (days > MAX_USAGE_DAYS) throw invalidRequest('invalid_date_range', `at most ${MAX_USAGE_DAYS} days per request (asked for ${days})`, 'from');
  return { from, to };
}

export const ZERO_USAGE: UsageIncrement = { jobs: 0, images: 0, inputTokens: 0, outputTokens: 0, computeMs: 0, costUsdMicros: 0 };

export function addUsage(a: UsageIncrement, b: UsageIncrement): UsageIncrement {
  return {
    jobs: a.jobs + b.jobs,
    images: a.images + b.images,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    computeMs: a.computeMs + b.computeMs,
    costUsdMicros: a.costUsdMicros + b.costUsdMicros,
  };
}

/** Sums the rollups by day or by model, in ascending key order. */
export function groupUsage(rows: UsageDay[], by: 'day' | 'model'): { key: string; usage: UsageIncrement }[] {
  const groups = new Map<string, UsageIncrement>();
  for (const row of rows) {
    const key = by === 'day' ? row.day : row.model;
    groups.set(key, addUsage(groups.get(key) ?? ZERO_USAGE, row));
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, usage]) => ({ key, usage }));
}
