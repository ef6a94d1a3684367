// The routes around the jobs: models, health, the OpenAPI document and the docs page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.stop());

describe('GET /v1/models', () => {
  it('lists the catalogue', async () => {
    const res = await h.call('GET', '/v1/models');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      object: 'list',
      data: [{ id: 'nexus-mini', object: 'model', version: '1.0.0', capabilities: ['understand', 'generate', 'edit'] }],
    });
  });
});

describe('GET /health', () => {
  it('is public and reflects readiness', async () => {
    const res = await h.call('GET', '/health', { key: null });
    expect([res.status, await res.json()]).toEqual([200, { status: 'ok' }]);
    const down = h.appWith({ ready: () => Promise.resolve(false) });
    const reply = await down.request('/health');
    expect([reply.status, await reply.json()]).toEqual([503, { status: 'unavailable' }]);
  });
});

describe('GET /openapi.json', () => {
  it('is OpenAPI 3.1 generated from the request schemas', async () => {
    const res = await h.call('GET', '/openapi.json', { key: null });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    // Other parts mount more routes (webhooks); these are the API's own.
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/health',
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/cancel',
        '/v1/models',
        '/v1/uploads',
        '/v1/jobs/estimate',
        '/v1/usage',
        '/v1/usage/export',
        '/v1/api-keys',
        '/v1/api-keys/{id}',
        '/v1/admin/tenants',
        '/v1/admin/tenants/{id}',
        '/v1/admin/tenants/{id}/api-keys',
        '/v1/admin/tenants/{id}/usage',
      ]),
    );
    expect(Object.keys(doc.paths['/v1/jobs'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/jobs']?.post?.responses ?? {}).sort()).toEqual([
      '200',
      '202',
      '400',
      '401',
      '402',
      '403',
      '409',
      '413',
      '415',
      '429',
      '500',
      '503',
    ]);
    // Every route that takes a JSON body documents 413 and 415.
    for (const path of ['/v1/uploads', '/v1/webhooks/test', '/v1/jobs/estimate', '/v1/api-keys', '/v1/admin/tenants', '/v1/admin/tenants/{id}/api-keys']) {
      expect(Object.keys(doc.paths[path]?.post?.responses ?? {})).toEqual(expect.arrayContaining(['400', '413', '415']));
    }
    const request = doc.components.schemas.JobRequest;
    expect(Object.keys(request?.properties ?? {}).sort()).toEqual(['messages', 'metadata', 'model', 'output', 'params', 'webhook']);
    // Strict objects show up as additionalProperties: false, so generated clients know unknown fields fail.
    expect(request?.additionalProperties).toBe(false);
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer', description: 'API key' });
  });
});

describe('GET /docs', () => {
  it('renders every operation as self-contained HTML', async () => {
    const res = await h.call('GET', '/docs', { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    for (const op of ['POST /v1/jobs', 'GET /v1/jobs/{id}', 'POST /v1/jobs/{id}/cancel', 'GET /v1/jobs/{id}/events', 'POST /v1/uploads', 'GET /v1/models'])
      expect(html).toContain(op);
    // It points at the typed client and the CLI.
    expect(html).toContain('<code>@nexus/client</code> (<code>clients/typescript</code>');
    expect(html).toContain('<code>nexus generate|edit|ask|jobs|usage</code>');
    expect(html).not.toMatch(/<script|https?:\/\/(?!example)/);
  });
});
