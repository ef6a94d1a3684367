// `npm start`: the whole platform on this machine. The local AWS (s3rver, SQS, dynalite; data in .data/),
// the API, the webhook dispatcher and the worker, all in this one process, so Ctrl-C stops everything
// (API first, then the worker drains) and nothing is left running.
//
// Restarts: objects and rows persist in .data/; local SQS keeps messages in memory, so on start every job
// still `queued` or `running` in the table is sent to the jobs queue again (a `running` one goes back to
// `queued` first: its worker died with the last run). Events not yet delivered are lost.
import { createLogger } from '../shared/log.js';
import { resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startApiServer } from '../functions/api/serve.js';
import { startWebhooks } from '../functions/webhooks/start-webhooks.js';
import { createPlatformDeps } from '../functions/api/platform-deps.js';
import { seedApiKey } from '../functions/api/auth-keys.js';
import { parseJobMessage } from '../workers/gpu/job-message.js';
import { startLocalWorker } from '../workers/gpu/start-local.js';
import { createPlatformAdapters } from '../shared/aws/adapters.js';
import { loadConfig, type Config } from '../shared/config.js';
import type { JobMessage } from '../shared/job.js';
import type { MessageQueue } from '../shared/ports.js';
import { localAwsEnv, startLocalAws } from './local-aws.js';
import { ADMIN_TENANT } from '../shared/accounts.js';

const DEV_TENANT = 'dev';

type Stop = () => Promise<void>;

const log = createLogger({ component: 'start' });

/**
 * Gives every unfinished job a message again: local SQS kept its messages in memory, so they died with the last
 * run. A job still `running` was held by that run's worker, which is gone too (on AWS its message would come
 * back after the visibility timeout and a later delivery would take over): it goes back to `queued` first, so
 * the fresh delivery claims it instead of taking it for a duplicate of a live run.
 */
async function requeueUnfinishedJobs(adapters: ReturnType<typeof createPlatformAdapters>, config: Config, queue: MessageQueue<JobMessage>) {
  let requeued = 0;
  let released = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await adapters.clients.documents.send(
      new ScanCommand({
        TableName: config.table,
        FilterExpression: 'kind = :job AND #status IN (:queued, :running)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':job': 'job', ':queued': 'queued', ':running': 'running' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const { id, tenant, model, status } = item;
      if (typeof id !== 'string' || typeof tenant !== 'string' || typeof model !== 'string') continue;
      if (status === 'running') {
        if ((await adapters.table.transition(tenant, id, ['running'], 'queued', { progress: null })) === null) continue;
        released += 1;
      }
      await queue.send({ v: 1, job_id: id, tenant, model, attempt: 1 });
      requeued += 1;
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return { requeued, released };
}

async function main(): Promise<void> {
  const stops: Stop[] = [];
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('stopping', { signal });
    void (async () => {
      for (const stop of stops.reverse()) await stop().catch((error: unknown) => log('stop_failed', { error: String(error) }));
      process.exit(0);
    })();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));

  const dataDir = resolve(process.env.DATA_DIR ?? '.data');
  const local = await startLocalAws({ dataDir });
  stops.push(() => local.stop());
  // Local defaults: webhooks and image URLs may point at loopback receivers on this machine.
  const config = loadConfig({ ALLOW_LOOPBACK_HTTP: 'true', ...process.env, ...localAwsEnv(local), DATA_DIR: dataDir });
  const adapters = createPlatformAdapters(config);
  stops.push(async () => adapters.destroy());
  if (config.queues.jobs === null) throw new Error('local jobs queue missing');

  await seedApiKey(adapters.table, config.devApiKey, DEV_TENANT, config.api.keyPepper);
  await seedApiKey(adapters.table, config.devAdminKey, ADMIN_TENANT, config.api.keyPepper, 'admin');
  const { requeued, released } = await requeueUnfinishedJobs(adapters, config, adapters.queue(config.queues.jobs, parseJobMessage));

  // Webhooks: DEV_WEBHOOK_SECRET (whsec_…) fixes the dev tenant's signing secret; random when unset.
  const webhooks = await startWebhooks({ config, adapters, devTenant: DEV_TENANT, devSecret: process.env.DEV_WEBHOOK_SECRET });
  stops.push(() => webhooks.stop());

  // The worker starts before the API listens, so GET /health answering means the whole platform is up.
  const worker = await startLocalWorker({
    config,
    env: process.env,
    root: resolve(import.meta.dirname, '..'),
    log: createLogger({ component: 'worker' }),
  });
  if (worker !== null) stops.push(() => worker.drain());

  const api = await startApiServer({
    deps: { ...createPlatformDeps({ config, clients: adapters.clients }), webhooks: webhooks.routes },
    port: config.port,
    host: config.host,
  });
  // Stops run in reverse: the API closes first, then the worker drains, then the dispatcher and local AWS go.
  stops.push(() => api.close());

  // The key rides in the fragment, which the browser keeps to itself: the page reads it and drops it from the address bar.
  const playground = `${api.url}/playground#key=${encodeURIComponent(config.devApiKey)}`;
  log('ready', {
    url: api.url,
    playground: `${api.url}/playground`,
    data_dir: dataDir,
    requeued_jobs: requeued,
    released_running_jobs: released,
    endpoints: local.endpoints,
  });
  process.stdout.write(
    [
      '',
      `Nexus platform running at ${api.url}  (Ctrl-C stops it; data in ${dataDir})`,
      `Development API key (tenant "${DEV_TENANT}"): ${config.devApiKey}`,
      `Development admin key (/v1/admin/*, DEV_ADMIN_KEY): ${config.devAdminKey}`,
      `Playground (key filled in): ${playground}`,
      '',
      'Try:',
      `  curl -s ${api.url}/health`,
      `  curl -s ${api.url}/v1/jobs -H "Authorization: Bearer ${config.devApiKey}" -H "Content-Type: application/json" \\`,
      `    -d '{"model":"nexus-mini","messages":[{"role":"user","content":"Generate an image according to the following description: a large red circle in the top left"}]}'`,
      `  curl -s ${api.url}/v1/jobs/<job id> -H "Authorization: Bearer ${config.devApiKey}"`,
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  log('start_failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
});
