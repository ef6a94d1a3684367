// Self-service keys: a tenant creates (the secret shown once), lists and revokes its own keys. A revoked key
// fails on its very next request: keys are never cached (middleware/auth.ts).
import { createRoute, z } from '@hono/zod-openapi';
import { invalidRequest, notFound } from '../../../shared/errors.js';
import { isId } from '../../../shared/ids.js';
import type { RegisterRoutes } from '../app-types.js';
import type { ResolvedDeps } from '../deps.js';
import { issueKey } from '../issue-key.js';
import { ApiKeySchema, CreateKeyBodySchema, MAX_KEYS_PER_TENANT, NewApiKeySchema, toApiKey } from '../schemas/account.js';
import { BODY_ERROR_RESPONSES, COMMON_ERROR_RESPONSES, errorResponse } from '../schemas/error.js';

const TEN_YEARS_MS = 10 * 366 * 86_400_000;

/** Checks a requested expiry: in the future and at most ten years ahead; normalised to ISO in UTC. */
export function keyExpiry(value: string | undefined, now: Date): string | null {
  if (value === undefined) return null;
  const at = Date.parse(value);
  if (!(at > now.getTime())) throw invalidRequest('invalid_expiry', 'expires_at must be in the future', 'expires_at');
  if (at - now.getTime() > TEN_YEARS_MS) throw invalidRequest('invalid_expiry', 'expires_at must be at most 10 years ahead', 'expires_at');
  return new Date(at).toISOString();
}

/** Issues a customer or admin key for `tenant`, within the per-tenant key limit. */
export async function createKeyFor(deps: ResolvedDeps, tenant: string, kind: 'customer' | 'admin', body: z.infer<typeof CreateKeyBodySchema>) {
  const now = deps.now();
  const expiresAt = keyExpiry(body.expires_at, now);
  const issued = await issueKey({ accounts: deps.jobs, pepper: deps.settings.apiKeyPepper, tenant, kind, name: body.name, expiresAt, now, maxKeys: MAX_KEYS_PER_TENANT });
  if (issued === null) throw invalidRequest('too_many_api_keys', `at most ${MAX_KEYS_PER_TENANT} keys per tenant; revoke one first`, null);
  const { key, record } = issued;
  return { ...toApiKey(record), key };
}

const KeyIdParams = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'key_01JD3V9X8M4Q2W7RZK5T0B6N1C' }) });

const createRouteDef = createRoute({
  method: 'post',
  path: '/v1/api-keys',
  tags: ['api keys'],
  summary: 'Create an API key for your account (the secret is shown once)',
  security: [{ bearer: [] }],
  request: { body: { required: true, content: { 'application/json': { schema: CreateKeyBodySchema } } } },
  responses: {
    201: { content: { 'application/json': { schema: NewApiKeySchema } }, description: 'The new key, with its secret' },
    ...COMMON_ERROR_RESPONSES,
    ...BODY_ERROR_RESPONSES,
  },
});

const listRouteDef = createRoute({
  method: 'get',
  path: '/v1/api-keys',
  tags: ['api keys'],
  summary: 'List your API keys (never their secrets)',
  security: [{ bearer: [] }],
  responses: {
    200: { content: { 'application/json': { schema: z.object({ object: z.literal('list'), data: z.array(ApiKeySchema) }) } }, description: 'Keys, oldest first' },
    ...COMMON_ERROR_RESPONSES,
  },
});

const revokeRouteDef = createRoute({
  method: 'delete',
  path: '/v1/api-keys/{id}',
  tags: ['api keys'],
  summary: 'Revoke an API key at once',
  security: [{ bearer: [] }],
  request: { params: KeyIdParams },
  responses: {
    200: { content: { 'application/json': { schema: z.object({ object: z.literal('api_key'), id: z.string(), deleted: z.literal(true) }) } }, description: 'Revoked' },
    ...COMMON_ERROR_RESPONSES,
    404: errorResponse('No such key for this account (not_found_error)'),
  },
});

export const registerApiKeyRoutes: RegisterRoutes = (app, deps) => {
  app.openapi(createRouteDef, async (c) => c.json(await createKeyFor(deps, c.get('tenant'), 'customer', c.req.valid('json')), 201));

  app.openapi(listRouteDef, async (c) => {
    const keys = await deps.jobs.listApiKeys(c.get('tenant'));
    const listed = keys.flatMap((key) => (key.id === null ? [] : [toApiKey({ ...key, id: key.id })]));
    return c.json({ object: 'list' as const, data: listed }, 200);
  });

  app.openapi(revokeRouteDef, async (c) => {
    const { id } = c.req.valid('param');
    const revoked = isId('key', id) && (await deps.jobs.revokeApiKey(c.get('tenant'), id));
    if (!revoked) throw notFound(`no API key ${JSON.stringify(id.slice(0, 64))}`, 'id');
    return c.json({ object: 'api_key' as const, id, deleted: true as const }, 200);
  });
};
