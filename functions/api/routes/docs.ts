// /openapi.json is generated from the same zod schemas that validate requests, so the document cannot
// drift from the behaviour. /docs renders it server-side as plain HTML: no script or CDN assets, so it
// works offline and under a strict CSP.
import type { ApiApp, RegisterRoutes } from '../app-types.js';
import { DEFAULT_LIMITS } from '../limits.js';

const OPENAPI_CONFIG = {
  openapi: '3.1.0',
  info: {
    title: 'Nexus platform API',
    version: '1.0.0',
    description: 'Understand, generate and edit images through one chat `messages` API. Jobs are asynchronous; poll, wait (Prefer: wait=N) or receive webhooks.',
  },
};

const escape = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

type Paths = NonNullable<ReturnType<ApiApp['getOpenAPI31Document']>['paths']>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function renderDocs(paths: Paths): string {
  const operations = Object.entries(paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => {
      const op = item[method];
      if (op === undefined) return [];
      const responses = Object.entries(op.responses ?? {})
        .map(([code, r]) => `<li><code>${escape(code)}</code> ${escape('description' in r && typeof r.description === 'string' ? r.description : '')}</li>`)
        .join('');
      return `<section><h2><code>${escape(method.toUpperCase())} ${escape(path)}</code></h2><p>${escape(op.summary ?? '')}</p>${
        op.description ? `<p>${escape(op.description)}</p>` : ''
      }<ul>${responses}</ul></section>`;
    }),
  );
  const limits = Object.entries(DEFAULT_LIMITS)
    .map(([name, value]) => `<tr><td>${escape(name)}</td><td>${value}</td></tr>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(OPENAPI_CONFIG.info.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}</style></head>
<body><h1>${escape(OPENAPI_CONFIG.info.title)}</h1><p>${escape(OPENAPI_CONFIG.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). Authenticate with <code>Authorization: Bearer &lt;key&gt;</code>.
Errors: <code>{"error":{"type","code","message","param"},"request_id"}</code>.</p>
<h2>Clients</h2><p>TypeScript: <code>@nexus/client</code> (<code>clients/typescript</code> in the repository; its README is the reference):
typed from this document, with retries, live job events and webhook verification; it runs on Node, Deno, Bun, browsers and edge functions.
Command line: <code>nexus generate|edit|ask|jobs|usage</code> (<code>clients/cli</code>; <code>NEXUS_API_KEY</code>, <code>NEXUS_BASE_URL</code>).
Live events: <code>GET /v1/jobs/{id}/events</code> (Server-Sent Events) below.</p>
${operations.join('\n')}<h2>Limits</h2><table>${limits}</table></body></html>`;
}

export const registerDocsRoutes: RegisterRoutes = (app) => {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'API key' });
  app.doc31('/openapi.json', OPENAPI_CONFIG);
  let page: string | null = null;
  app.get('/docs', (c) => {
    // Rendered on first use: by then every route file has registered its paths.
    page ??= renderDocs(app.getOpenAPI31Document(OPENAPI_CONFIG).paths ?? {});
    return c.html(page);
  });
};
