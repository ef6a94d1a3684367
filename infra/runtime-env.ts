// The environment every deployable reads through shared/config.ts, built from the stack's resources so the
// names cannot drift between the API, the dispatcher and the workers (infra/runtime-env.test.ts feeds it to
// loadConfig). Structural types keep this file free of SST imports.
type Value = $util.Input<string>;

export interface CoreResources {
  bucket: sst.aws.Bucket;
  table: sst.aws.Dynamo;
  jobs: { queue: sst.aws.Queue; dlq: sst.aws.Queue };
  events: { queue: sst.aws.Queue; dlq: sst.aws.Queue };
}

export interface CoreNames {
  bucket: { name: Value };
  table: { name: Value };
  jobs: { queue: { url: Value }; dlq: { url: Value } };
  events: { queue: { url: Value }; dlq: { url: Value } };
}

export function coreEnvironment(resources: CoreNames): Record<string, Value> {
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
