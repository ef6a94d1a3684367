// The Hono API as a Lambda function behind a Router (CloudFront) with a WAF per-IP rate limit. The function
// URL only accepts CloudFront's signed requests (origin access control), so the WAF cannot be bypassed; that
// signature takes the Authorization header's place, so the caller's is carried past it (infra/edge-auth.ts).
import type { StageConfig } from './config.js';
import { VIEWER_REQUEST_INJECTION } from './edge-auth.js';
import { coreEnvironment, coreLinks, type CoreResources } from './runtime-env.js';

export interface Secrets {
  /** HMAC key over stored API keys (functions/api/auth-keys.ts): the table alone holds no usable key. */
  apiKeyPepper: sst.Secret;
}

// Webhook signing secrets are per tenant (whsec_…, rotatable through the API) and live in the table, so no
// deploy-time signing key exists to set here.
export function createSecrets(): Secrets {
  return { apiKeyPepper: new sst.Secret('ApiKeyPepper') };
}

export function createApi(config: StageConfig, resources: CoreResources, secrets: Secrets) {
  const router = new sst.aws.Router('Api', {
    waf: { rateLimitPerIp: config.api.rateLimitPerIp },
    // Lambda@Edge signs each request body for the function URL; it caps bodies at 1 MB, so larger images go
    // through POST /v1/uploads (presigned PUT straight to S3) as the claim-check design intends.
    protection: config.api.originProtection,
    edge: { viewerRequest: { injection: VIEWER_REQUEST_INJECTION } },
  });
  const api = new sst.aws.Function('ApiFunction', {
    handler: 'infra/api-entry.handler',
    runtime: 'nodejs22.x',
    architecture: 'arm64',
    memory: `${config.api.memoryMiB} MB`,
    timeout: `${config.api.timeoutSeconds} seconds`,
    link: [...coreLinks(resources), secrets.apiKeyPepper],
    environment: {
      ...coreEnvironment(resources),
      API_KEY_PEPPER: secrets.apiKeyPepper.value,
      ALLOW_LOOPBACK_HTTP: 'false',
      NODE_ENV: 'production',
    },
    url: { router: { instance: router, readTimeout: `${config.api.timeoutSeconds} seconds` } },
  });
  return { router, api };
}
