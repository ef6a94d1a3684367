// The environment every deployable reads through shared/config.ts, built from the stack's resources so the
// names cannot drift between the API, the dispatcher and the workers.
interface QueuePair {
  queue: sst.aws.Queue;
  dlq: sst.aws.Queue;
}

export interface CoreResources {
  bucket: sst.aws.Bucket;
  table: sst.aws.Dynamo;
  jobs: QueuePair;
  events: QueuePair;
}

export function coreEnvironment(resources: CoreResources): Record<string, $util.Input<string>> {
  return {
    BUCKET_NAME: resources.bucket.name,
    TABLE_NAME: resources.table.name,
    JOBS_QUEUE_URL: resources.jobs.queue.url,
    JOBS_DLQ_URL: resources.jobs.dlq.url,
    EVENTS_QUEUE_URL: resources.events.queue.url,
    EVENTS_DLQ_URL: resources.events.dlq.url,
  };
}

export function coreLinks(resources: CoreResources) {
  return [resources.bucket, resources.table, resources.jobs.queue, resources.jobs.dlq, resources.events.queue, resources.events.dlq];
}
