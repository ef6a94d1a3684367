// The playground page (/playground) and the API's front door (/), served from memory: the files live in
// playground/web/ and reach this route through the generated playground/assets.generated.ts
// (`npm run build:playground`), so nothing is read from disk and the API stays edge-clean.
//
// Security: the page holds an API key typed by its user, so it is served under a strict Content-Security-Policy
// (scripts and styles from this origin only, no inline code; network to this origin and to the bucket that
// presigned URLs point at, nothing else) and may not be framed. It embeds no key, whatever the deployment: the
// local link carries the development key in the URL fragment, which browsers never send to a server. The
// page calls the API on its own origin, so the API needs no CORS.
import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { RegisterRoutes } from '../app-types.js';
import type { ResolvedDeps } from '../deps.js';
import type { PlaygroundAsset } from '../playground/asset.js';
import { PLAYGROUND_ASSETS } from '../playground/assets.generated.js';

const FRONT_DOOR: PlaygroundAsset = {
  contentType: 'text/html; charset=utf-8',
  etag: '"front-door-1"',
  body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Nexus platform API</title></head>
<body><h1>Nexus platform API</h1><p>Understand, generate and edit images through one chat <code>messages</code> API.</p>
<ul><li><a href="/playground">Playground</a>: try the model in the browser with your API key</li>
<li><a href="/docs">API reference</a> and <a href="/openapi.json">OpenAPI 3.1 document</a></li>
<li><a href="/health">Health</a></li></ul></body></html>
`,
};

/** The origin presigned URLs point at (outputs to read, uploads to PUT); null when it cannot be told. */
async function storageOrigin(deps: ResolvedDeps): Promise<string | null> {
  try {
    // Presigning is a local computation (no request), and every presigned URL shares this origin.
    return new URL(await deps.objects.presignGet('outputs/playground/origin', 60)).origin;
  } catch {
    return null;
  }
}

function pageHeaders(deps: ResolvedDeps): MiddlewareHandler {
  let middleware: Promise<MiddlewareHandler> | null = null;
  const build = async (): Promise<MiddlewareHandler> => {
    const storage = await storageOrigin(deps);
    const fromStorage = storage === null ? [] : [storage];
    return secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'blob:', 'data:', ...fromStorage],
        // blob: only reaches what this page itself made (its images), so the page can read them back.
        connectSrc: ["'self'", 'blob:', ...fromStorage],
        formAction: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      xFrameOptions: 'DENY',
      referrerPolicy: 'no-referrer',
    });
  };
  return async (c, next) => {
    middleware ??= build();
    return (await middleware)(c, next);
  };
}

function serve(asset: PlaygroundAsset, ifNoneMatch: string | undefined): Response {
  const headers = { 'content-type': asset.contentType, etag: asset.etag, 'cache-control': 'no-cache' };
  if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((tag) => tag.trim() === asset.etag)) return new Response(null, { status: 304, headers });
  return new Response(asset.body, { status: 200, headers });
}

export const registerPlaygroundRoutes: RegisterRoutes = (app, deps) => {
  const page = PLAYGROUND_ASSETS['index.html'];
  if (page === undefined) throw new Error('playground/assets.generated.ts has no index.html: run npm run build:playground');
  const headers = pageHeaders(deps);
  app.use('/', headers);
  app.use('/playground', headers);
  app.use('/playground/*', headers);
  app.get('/', (c) => serve(FRONT_DOOR, c.req.header('if-none-match')));
  app.get('/playground', (c) => serve(page, c.req.header('if-none-match')));
  app.get('/playground/:file', async (c, next) => {
    const name = c.req.param('file');
    // Own names only ("__proto__" is not a file), and the page itself only at /playground.
    const asset = Object.hasOwn(PLAYGROUND_ASSETS, name) && name !== 'index.html' ? PLAYGROUND_ASSETS[name] : undefined;
    // Unknown names fall through to the API's 404 envelope.
    if (asset === undefined) return next();
    return serve(asset, c.req.header('if-none-match'));
  });
};
