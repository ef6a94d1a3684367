// The bucket: uploads, inputs, outputs (expiring) and model bundles (kept). Public access stays blocked (SST's
// default); clients reach objects only through presigned URLs, so CORS allows presigned PUT/GET from browsers.
import type { StageConfig } from './config.js';
import { expiryRules } from './storage-rules.js';

export function createStorage(config: StageConfig) {
  const bucket = new sst.aws.Bucket('Data', {
    cors: {
      allowOrigins: config.api.corsOrigins,
      allowMethods: ['GET', 'HEAD', 'PUT'],
      allowHeaders: ['*'],
      exposeHeaders: ['ETag'],
      maxAge: '1 hour',
    },
    lifecycle: expiryRules(config.retention).map((rule) => ({
      id: rule.id,
      prefix: rule.prefix,
      expiresIn: `${rule.days} days` as const,
    })),
    enforceHttps: true,
  });
  return { bucket };
}
