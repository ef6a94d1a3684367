// loadConfig: defaults for local development, all-or-none endpoints, and refusal of bad values.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  // toMatchObject: other parts add their own sections to the config.
  it('fills local defaults from an empty environment', () => {
    expect(loadConfig({})).toMatchObject({
      region: 'us-east-1',
      endpoints: null,
      bucket: 'nexus-local',
      table: 'nexus-jobs',
      queues: { jobs: null, jobsDlq: null, events: null, eventsDlq: null },
      host: '127.0.0.1',
      port: 3000,
      devApiKey: 'sk_dev_local_0123456789abcdef',
      dataDir: '.data',
      logLevel: 'info',
    });
  });

  it('reads endpoints, queue urls and the port', () => {
    const config = loadConfig({
      S3_ENDPOINT: 'http://127.0.0.1:1',
      SQS_ENDPOINT: 'http://127.0.0.1:2',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:3',
      JOBS_QUEUE_URL: 'http://127.0.0.1:2/123/jobs',
      PORT: '8080',
    });
    expect([config.endpoints, config.queues.jobs, config.port]).toEqual([
      { s3: 'http://127.0.0.1:1', sqs: 'http://127.0.0.1:2', dynamodb: 'http://127.0.0.1:3' },
      'http://127.0.0.1:2/123/jobs',
      8080,
    ]);
  });

  it('refuses a partial set of endpoints', () => {
    expect(() => loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:1' })).toThrow(ConfigError);
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ DEV_API_KEY: 'short' })).toThrow(/DEV_API_KEY/);
  });
});
