// The operator API (admin keys only; middleware/auth.ts refuses customer keys here with 403): tenants, their
// status, plan and limits, keys issued for them, and any tenant's usage.
import { createRoute, z } from '@hono/zod-openapi';
import { TENANT_PATTERN, TENANT_STATUSES, type Tenant } from '../../../shared/accounts.js';
import { PlatformError, notFound } from '../../../shared/errors.js';
import { PLAN_NAMES } from '../../../shared/plans.js';
import type { RegisterRoutes } from '../app-types.js';
import type { ResolvedDeps } from '../deps.js';
import { CreateKeyBodySchema, displayName, fromWireLimits, LimitOverridesSchema, NewApiKeySchema, TenantSchema, toTenantResource } from '../schemas/account.js';
import { BODY_ERROR_RESPONSES, COMMON_ERROR_RESPONSES, errorResponse } from '../schemas/error.js';
import { createKeyFor } from './api-keys.js';
import { UsageQuerySchema, UsageReportSchema, usageReport } from './usage.js';

const ADMIN_ERRORS = { ...COMMON_ERROR_RESPONSES, 403: errorResponse('Not an admin key (permission_error, permission_denied)') };
const TenantParams = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'acme' }) });
const tenantReply = (description: string) => ({ content: { 'application/json': { schema: TenantSchema } }, description });

const CreateTenantBody = z
  .object({
    id: z.string().regex(TENANT_PATTERN, 'must be 1-63 of a-z 0-9 _ -, starting with a letter or digit'),
    name: displayName(200),
    plan: z.enum(PLAN_NAMES).optional().openapi({ description: 'Default: free.' }),
    limits: LimitOverridesSchema.optional(),
  })
  .strict();

const UpdateTenantBody = z
  .object({
    name: displayName(200).optional(),
    status: z.enum(TENANT_STATUSES).optional().openapi({ description: 'suspended: its keys get 403 account_suspended and its queued jobs do not run.' }),
    plan: z.enum(PLAN_NAMES).optional(),
    limits: LimitOverridesSchema.optional().openapi({ description: 'Replaces the overrides as a whole.' }),
  })
  .strict();

async function existingTenant(deps: ResolvedDeps, id: string): Promise<Tenant> {
  const tenant = TENANT_PATTERN.test(id) ? await deps.jobs.getTenant(id) : null;
  if (tenant === null) throw notFound(`no tenant ${JSON.stringify(id.slice(0, 64))}`, 'id');
  return tenant;
}

const routes = {
  create: createRoute({
    method: 'post',
    path: '/v1/admin/tenants',
    tags: ['admin'],
    summary: 'Create a tenant',
    security: [{ bearer: [] }],
    request: { body: { required: true, content: { 'application/json': { schema: CreateTenantBody } } } },
    responses: { 201: tenantReply('Created'), ...ADMIN_ERRORS, 409: errorResponse('The tenant exists (conflict_error)'), ...BODY_ERROR_RESPONSES },
  }),
  read: createRoute({
    method: 'get',
    path: '/v1/admin/tenants/{id}',
    tags: ['admin'],
    summary: 'Read a tenant',
    security: [{ bearer: [] }],
    request: { params: TenantParams },
    responses: { 200: tenantReply('The tenant'), ...ADMIN_ERRORS, 404: errorResponse('No such tenant') },
  }),
  update: createRoute({
    method: 'patch',
    path: '/v1/admin/tenants/{id}',
    tags: ['admin'],
    summary: 'Suspend or resume a tenant, change its plan, name or limits',
    security: [{ bearer: [] }],
    request: { params: TenantParams, body: { required: true, content: { 'application/json': { schema: UpdateTenantBody } } } },
    responses: { 200: tenantReply('Updated'), ...ADMIN_ERRORS, 404: errorResponse('No such tenant'), ...BODY_ERROR_RESPONSES },
  }),
  issueKey: createRoute({
    method: 'post',
    path: '/v1/admin/tenants/{id}/api-keys',
    tags: ['admin'],
    summary: 'Issue an API key for a tenant (the secret is shown once)',
    security: [{ bearer: [] }],
    request: { params: TenantParams, body: { required: true, content: { 'application/json': { schema: CreateKeyBodySchema } } } },
    responses: {
      201: { content: { 'application/json': { schema: NewApiKeySchema } }, description: 'The key' },
      ...ADMIN_ERRORS,
      404: errorResponse('No such tenant'),
      ...BODY_ERROR_RESPONSES,
    },
  }),
  usage: createRoute({
    method: 'get',
    path: '/v1/admin/tenants/{id}/usage',
    tags: ['admin'],
    summary: 'A tenant\u2019s usage (as GET /v1/usage answers it to the tenant)',
    security: [{ bearer: [] }],
    request: { params: TenantParams, query: UsageQuerySchema },
    responses: { 200: { content: { 'application/json': { schema: UsageReportSchema } }, description: 'Usage' }, ...ADMIN_ERRORS, 404: errorResponse('Not a tenant id') },
  }),
};

export const registerAdminRoutes: RegisterRoutes = (app, deps) => {
  app.openapi(routes.create, async (c) => {
    const body = c.req.valid('json');
    const tenant: Tenant = {
      id: body.id,
      name: body.name,
      status: 'active',
      plan: body.plan ?? 'free',
      limits: body.limits === undefined ? {} : fromWireLimits(body.limits),
      createdAt: deps.now().toISOString(),
    };
    if (!(await deps.jobs.createTenant(tenant))) {
      throw new PlatformError({ type: 'conflict_error', status: 409, code: 'tenant_exists', message: `tenant ${body.id} exists`, param: 'id' });
    }
    return c.json(toTenantResource(tenant), 201);
  });

  app.openapi(routes.read, async (c) => c.json(toTenantResource(await existingTenant(deps, c.req.valid('param').id)), 200));

  app.openapi(routes.update, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    await existingTenant(deps, id);
    const updated = await deps.jobs.updateTenant(id, {
      ...(body.name === undefined ? {} : { name: body.name }),
      ...(body.status === undefined ? {} : { status: body.status }),
      ...(body.plan === undefined ? {} : { plan: body.plan }),
      ...(body.limits === undefined ? {} : { limits: fromWireLimits(body.limits) }),
    });
    if (updated === null) throw notFound(`no tenant ${JSON.stringify(id)}`, 'id');
    return c.json(toTenantResource(updated), 200);
  });

  app.openapi(routes.issueKey, async (c) => {
    const tenant = await existingTenant(deps, c.req.valid('param').id);
    return c.json(await createKeyFor(deps, tenant.id, 'customer', c.req.valid('json')), 201);
  });

  app.openapi(routes.usage, async (c) => {
    const { id } = c.req.valid('param');
    // Tenants from before accounts existed have no row but do have usage: any well-formed id may be asked.
    if (!TENANT_PATTERN.test(id)) throw notFound(`no tenant ${JSON.stringify(id.slice(0, 64))}`, 'id');
    return c.json(await usageReport(deps, id, c.req.valid('query')), 200);
  });
};
