// `Prefer: wait=N` (RFC 7240): hold the reply until the job ends or N seconds pass. Polling the row keeps the
// API stateless; the reply always carries the job id, finished or not.
import { FINAL_STATUSES, type JobRecord } from '../../shared/job.js';
import type { JobStore } from '../../shared/ports.js';
import { sleep } from '../../shared/sleep.js';

/** Seconds asked for (capped at `max`), or null when the header has no wait preference. */
export function parsePreferWait(header: string | undefined, max: number): number | null {
  if (header === undefined) return null;
  for (const token of header.split(',')) {
    const match = /^\s*wait\s*=\s*"?(\d{1,9})"?\s*(?:;.*)?$/i.exec(token);
    if (match?.[1] !== undefined) return Math.min(Number(match[1]), max);
  }
  return null;
}

export const isFinal = (job: JobRecord): boolean => FINAL_STATUSES.includes(job.status);

export async function waitForFinal(table: Pick<JobStore, 'getJob'>, job: JobRecord, seconds: number, pollMs: number, signal?: AbortSignal): Promise<JobRecord> {
  const until = Date.now() + seconds * 1000;
  let current = job;
  while (!isFinal(current) && Date.now() < until && signal?.aborted !== true) {
    await sleep(Math.min(pollMs, Math.max(0, until - Date.now())));
    current = (await table.getJob(current.tenant, current.id)) ?? current;
  }
  return current;
}
