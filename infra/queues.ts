// The jobs queue (API → GPU workers) and the events queue (API/workers → webhook dispatcher), each with a DLQ.
// Messages are small references (claim check, docs/architecture.md §4.5), but the limit is AWS's 1 MiB maximum so an event
// carrying a large job resource still fits.
import type { StageConfig } from './config.js';
import { queueVisibilityForFunction } from './scaling.js';

export const MAX_MESSAGE_BYTES = 1024 * 1024;
export const LONG_POLL_SECONDS = 20;
export const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;
/** The dispatcher's timeout: a 15 s webhook attempt plus table reads and writes. */
export const DISPATCHER_TIMEOUT_SECONDS = 30;

function queueWithDlq(name: string, config: StageConfig, visibilitySeconds: number) {
  const dlq = new sst.aws.Queue(`${name}Dlq`, {
    transform: {
      queue: { messageRetentionSeconds: DLQ_RETENTION_SECONDS, receiveWaitTimeSeconds: LONG_POLL_SECONDS, maxMessageSize: MAX_MESSAGE_BYTES },
    },
  });
  const queue = new sst.aws.Queue(name, {
    visibilityTimeout: `${visibilitySeconds} seconds`,
    dlq: { queue: dlq.arn, retry: config.queues.maxReceiveCount },
    transform: {
      queue: { messageRetentionSeconds: 4 * 24 * 3600, receiveWaitTimeSeconds: LONG_POLL_SECONDS, maxMessageSize: MAX_MESSAGE_BYTES },
    },
  });
  return { queue, dlq };
}

export function createQueues(config: StageConfig) {
  // Workers extend visibility with a heartbeat while a job runs; the base timeout only bounds how long a
  // crashed worker's job stays hidden before another worker takes it over.
  const jobs = queueWithDlq('Jobs', config, config.queues.jobsVisibilitySeconds);
  const events = queueWithDlq('Events', config, queueVisibilityForFunction(DISPATCHER_TIMEOUT_SECONDS));
  return { jobs, events };
}
