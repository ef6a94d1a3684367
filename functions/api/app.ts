// The API as one Hono app built from injected ports: the same app runs on Lambda (handler.ts), on Node
// (serve.ts) and in tests. Route files register themselves; to add routes, write routes/<name>.ts
// exporting a RegisterRoutes function and add it to ROUTES below.
import { apiLog } from './api-log.js';
import { OpenAPIHono } from '@hono/zod-openapi';
import { PlatformError } from '../../shared/errors.js';
import { modelPrice } from '../../shared/pricing.js';
import type { RegisterRoutes } from './app-types.js';
import { resolveDeps, type ApiDeps, type ApiEnv } from './deps.js';
import { errorBody, toPlatformError, validationError } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';
import { tenantAuth } from './middleware/auth.js';
import { bodySize } from './middleware/body-size.js';
import { jsonCharset } from './middleware/json-charset.js';
import { rateLimit } from './middleware/rate-limit.js';
import { requestId } from './middleware/request-id.js';
import { registerDocsRoutes } from './routes/docs.js';
import { registerHealthRoute } from './routes/health.js';
import { registerCancelJobRoute } from './routes/jobs-cancel.js';
import { registerCreateJobRoute } from './routes/jobs-create.js';
import { registerEstimateJobRoute } from './routes/jobs-estimate.js';
import { registerJobEventsRoute } from './routes/jobs-events.js';
import { registerReadJobRoutes } from './routes/jobs-read.js';
import { registerModelRoutes } from './routes/models.js';
import { registerPlaygroundRoutes } from './routes/playground.js';
import { registerUploadRoutes } from './routes/uploads.js';
import { registerUsageRoutes } from './routes/usage.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerAdminRoutes } from './routes/admin.js';
import { registerDeliveryRoutes } from './routes/deliveries.js';
import { registerWebhookSecretRoutes } from './routes/webhook-secret.js';

const ERROR_STATUSES = [400, 401, 402, 403, 404, 409, 413, 415, 422, 429, 500, 503] as const;
type ErrorStatus = (typeof ERROR_STATUSES)[number];
const errorStatus = (status: number): ErrorStatus => ERROR_STATUSES.find((s) => s === status) ?? 500;

const ROUTES: RegisterRoutes[] = [
  registerHealthRoute,
  registerModelRoutes,
  registerCreateJobRoute,
  registerEstimateJobRoute,
  registerReadJobRoutes,
  registerCancelJobRoute,
  registerJobEventsRoute,
  registerUploadRoutes,
  registerUsageRoutes,
  registerApiKeyRoutes,
  registerAdminRoutes,
  registerDeliveryRoutes,
  registerWebhookSecretRoutes,
  registerPlaygroundRoutes,
  // The docs come last so they list every route above.
  registerDocsRoutes,
];

export type { ApiDeps } from './deps.js';

export function createApp(input: ApiDeps): OpenAPIHono<ApiEnv> {
  const deps = resolveDeps(input);
  // A served model without a price would run unbilled: refuse to start instead (shared/price-table.ts).
  const unpriced = deps.models.list().filter((m) => modelPrice(m.name) === null);
  if (unpriced.length > 0) throw new Error(`no price for model(s) ${unpriced.map((m) => m.name).join(', ')} in shared/price-table.ts`);
  const app = new OpenAPIHono<ApiEnv>({
    // zod failures of body, query, path and headers all become the one envelope; `param` names the field
    // itself (`limit`, `id`, `messages[0].role`), as clients know it.
    defaultHook: (result) => {
      if (!result.success) throw validationError(result.error);
    },
  });

  app.use('*', requestId());
  app.use('/v1/*', bodySize(DEFAULT_LIMITS.maxBodyBytes));
  app.use('/v1/*', tenantAuth({ accounts: deps.jobs, pepper: deps.settings.apiKeyPepper, tenantCacheSeconds: deps.settings.tenantCacheSeconds, now: deps.now }));
  app.use(
    '/v1/*',
    rateLimit({
      table: deps.jobs,
      limit: deps.settings.rateLimitPerWindow,
      windowSeconds: deps.settings.rateWindowSeconds,
      now: deps.now,
      mode: deps.settings.rateLimitMode,
      flushIntervalMs: deps.settings.rateFlushIntervalMs,
    }),
  );
  app.use('/v1/*', jsonCharset());

  for (const register of ROUTES) register(app, deps);

  app.notFound((c) => {
    const err = new PlatformError({ type: 'not_found_error', status: 404, code: 'route_not_found', message: `no route ${c.req.method} ${c.req.path}` });
    return c.json(errorBody(err, c.get('requestId')), 404);
  });

  app.onError((thrown, c) => {
    const err = toPlatformError(thrown);
    if (err.status >= 500) apiLog('request_failed', { level: 'error', request_id: c.get('requestId'), code: err.code, cause: String(err.cause ?? thrown) });
    if (err.retryAfterSeconds !== undefined) c.header('Retry-After', String(err.retryAfterSeconds));
    return c.json(errorBody(err, c.get('requestId')), errorStatus(err.status));
  });

  return app;
}
