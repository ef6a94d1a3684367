// A table of contents: the stage's settings come from infra/config.ts, each capability from its own infra/ file.
// Type-checked by `npm run typecheck:infra` (tsconfig.infra.json), deployed with `npx sst deploy --stage prod`.
export default $config({
  app(input) {
    // The same stages as PRODUCTION_STAGES in infra/config.ts (app() runs before run() can import it).
    const production = input?.stage === 'prod' || input?.stage === 'production';
    return {
      name: 'nexus',
      home: 'aws',
      removal: production ? 'retain' : 'remove',
      protect: production,
      providers: {
        aws: { version: '7.20.0', region: 'us-east-1' },
        'docker-build': '0.0.14',
      },
    };
  },
  async run() {
    const { resolveStageConfig } = await import('./infra/config.js');
    const { createStorage } = await import('./infra/storage.js');
    const { createQueues } = await import('./infra/queues.js');
    const { createAlarms } = await import('./infra/alarms.js');
    const { createTable } = await import('./infra/table.js');
    const { createSecrets, createApi } = await import('./infra/api.js');
    const { createWebhookDispatcher } = await import('./infra/webhooks.js');
    const { createGpuWorkers } = await import('./infra/gpu-workers.js');

    const config = resolveStageConfig($app.stage, process.env);
    const { bucket } = createStorage(config);
    const { jobs, events } = createQueues(config);
    const { table } = createTable(config);
    const resources = { bucket, table, jobs, events };
    createAlarms(config, { jobs, events });

    const secrets = createSecrets();
    const { router } = createApi(config, resources, secrets);
    createWebhookDispatcher(config, resources);

    const { worker } = createGpuWorkers(config, resources);

    return {
      api: router.url,
      bucket: bucket.name,
      table: table.name,
      jobsQueue: jobs.queue.url,
      modelBundle: worker.bundleUri,
      gpuInstanceType: config.gpu.instance.name,
    };
  },
});
