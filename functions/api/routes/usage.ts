// The caller's own usage and cost: totals by day or model (from the worker's rollups) and the month's billing
// lines as JSON Lines, the feed a billing system takes.
import { createRoute, z } from '@hono/zod-openapi';
import { invalidRequest } from '../../../shared/errors.js';
import type { UsageIncrement } from '../../../shared/ports.js';
import type { BillingLine } from '../../../shared/usage-ledger.js';
import type { RegisterRoutes } from '../app-types.js';
import type { ResolvedDeps } from '../deps.js';
import { COMMON_ERROR_RESPONSES } from '../schemas/error.js';
import { addUsage, groupUsage, isMonth, MAX_USAGE_DAYS, usageRange, ZERO_USAGE } from '../usage-query.js';

const UsageTotalsSchema = z.object({
  jobs: z.number().int(),
  images: z.number().int(),
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  compute_ms: z.number().int(),
  cost_usd_micros: z.number().int().openapi({ description: 'Micro-dollars (1 USD = 1,000,000).' }),
});

export const UsageReportSchema = z
  .object({
    object: z.literal('usage'),
    from: z.string(),
    to: z.string(),
    group_by: z.enum(['day', 'model']),
    data: z.array(UsageTotalsSchema.extend({ day: z.string().optional(), model: z.string().optional() })),
    total: UsageTotalsSchema,
  })
  .openapi('UsageReport');

const wire = (u: UsageIncrement) => ({
  jobs: u.jobs,
  images: u.images,
  input_tokens: u.inputTokens,
  output_tokens: u.outputTokens,
  compute_ms: u.computeMs,
  cost_usd_micros: u.costUsdMicros,
});

export const UsageQuerySchema = z.object({
  from: z.string().optional().openapi({ description: 'First day, YYYY-MM-DD (UTC); default: the first of `to`\u2019s month.' }),
  to: z
    .string()
    .optional()
    .openapi({ description: `Last day, inclusive; default today. At most ${MAX_USAGE_DAYS} days.` }),
  group_by: z.enum(['day', 'model']).optional().openapi({ description: 'day (default) or model' }),
});

/** A tenant's usage report (for the tenant itself, or for an admin asking about it). */
export async function usageReport(deps: ResolvedDeps, tenant: string, query: z.infer<typeof UsageQuerySchema>) {
  const range = usageRange(query, deps.now());
  const groupBy = query.group_by ?? 'day';
  const groups = groupUsage(await deps.jobs.listUsage(tenant, range.from, range.to), groupBy);
  const total = groups.reduce((sum, g) => addUsage(sum, g.usage), ZERO_USAGE);
  return {
    object: 'usage' as const,
    from: range.from,
    to: range.to,
    group_by: groupBy,
    data: groups.map((g) => ({ [groupBy]: g.key, ...wire(g.usage) })),
    total: wire(total),
  };
}

const usageRoute = createRoute({
  method: 'get',
  path: '/v1/usage',
  tags: ['usage'],
  summary: 'Your usage and cost of succeeded jobs, by UTC day of completion or by model',
  security: [{ bearer: [] }],
  request: { query: UsageQuerySchema },
  responses: {
    200: { content: { 'application/json': { schema: UsageReportSchema } }, description: 'Totals; days or models without usage are left out' },
    ...COMMON_ERROR_RESPONSES,
  },
});

const exportRoute = createRoute({
  method: 'get',
  path: '/v1/usage/export',
  tags: ['usage'],
  summary: 'Every billed job of a month as JSON Lines',
  description:
    'One line per succeeded job completed in the month (UTC), oldest first: {"job_id","tenant","model","created_at","completed_at","usage","cost_usd_micros","price_version"}. Streamed; a response cut short ends without its last newline.',
  security: [{ bearer: [] }],
  request: { query: z.object({ month: z.string().openapi({ description: 'YYYY-MM (UTC)', example: '2026-12' }) }) },
  responses: {
    200: { content: { 'application/x-ndjson': { schema: z.string() } }, description: 'JSON Lines' },
    ...COMMON_ERROR_RESPONSES,
  },
});

function exportLine(line: BillingLine): string {
  const { usage } = line;
  return `${JSON.stringify({
    job_id: line.jobId,
    tenant: line.tenant,
    model: line.model,
    created_at: line.createdAt,
    completed_at: line.completedAt,
    usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, images: usage.images, compute_ms: usage.computeMs },
    cost_usd_micros: usage.costUsdMicros,
    price_version: usage.priceVersion,
  })}\n`;
}

export const registerUsageRoutes: RegisterRoutes = (app, deps) => {
  app.openapi(usageRoute, async (c) => c.json(await usageReport(deps, c.get('tenant'), c.req.valid('query')), 200));

  // A stream is not a typed reply that app.openapi() accepts: the route is documented and served separately.
  app.openAPIRegistry.registerPath(exportRoute);
  app.get(exportRoute.path, (c) => {
    const months = c.req.queries('month') ?? [];
    const month = months.length === 1 ? (months[0] ?? '') : '';
    if (!isMonth(month)) throw invalidRequest('invalid_month', 'month must be given once, as YYYY-MM', 'month');
    const lines = deps.jobs.billingLines(c.get('tenant'), month)[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await lines.next();
        if (next.done === true) controller.close();
        else controller.enqueue(encoder.encode(exportLine(next.value)));
      },
      async cancel() {
        await lines.return?.();
      },
    });
    return c.body(body, 200, { 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' });
  });
};
