// A delivery whose job row is not there. The API sends a job's message before it writes the row
// (docs/architecture.md §4.1), so that a row never exists without its message; the price is that a fast
// receive can come before the row lands, and that a request which failed or died between the two leaves a
// message with no row at all. So: read again for a moment (the common race), then hand the message back for
// later, and drop it only once the API has long given up on that row.
import { setTimeout as pause } from 'node:timers/promises';
import type { Log } from '../../shared/log.js';
import type { JobMessage } from '../../shared/job.js';
import type { JobStore, ReceivedMessage } from '../../shared/ports.js';
import type { Disposition } from './process-job.js';

/** Pauses before each fresh read of the row, in ms: a row put still in flight lands within these. */
export const ROW_REREAD_MS = [25, 75, 200] as const;

/**
 * Visibility delay after the 1st, 2nd and 3rd delivery that found no row; the 4th drops the message, at
 * least 151 s after the first. The API's row put gives up long before (3 attempts of at most 30 s each), and
 * four deliveries stay below the queue's maxReceiveCount (5), so an orphan never reaches the DLQ.
 */
export const MISSING_ROW_RELEASE_SECONDS = [1, 30, 120] as const;

export interface MissingRowDeps {
  table: Pick<JobStore, 'getJob'>;
  log: Log;
  sleep?: (ms: number) => Promise<void>;
}

/** Null once the row has appeared (claim it again); else what to do with the message. */
export async function settleMissingRow(message: ReceivedMessage<JobMessage>, deps: MissingRowDeps): Promise<Disposition | null> {
  const { tenant, job_id: jobId } = message.body;
  const sleep = deps.sleep ?? pause;
  for (const ms of ROW_REREAD_MS) {
    await sleep(ms);
    if ((await deps.table.getJob(tenant, jobId)) !== null) return null;
  }
  const delaySeconds = MISSING_ROW_RELEASE_SECONDS[message.receiveCount - 1];
  if (delaySeconds !== undefined) {
    deps.log('job_row_pending', { job_id: jobId, tenant, receive_count: message.receiveCount, retry_in_seconds: delaySeconds });
    return { action: 'release', delaySeconds };
  }
  deps.log('orphan_message_dropped', { job_id: jobId, tenant, receive_count: message.receiveCount });
  return { action: 'delete' };
}
