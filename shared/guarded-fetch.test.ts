import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch, FetchLimitError, sniffContentType, type ConnectRequest, type ConnectResponse } from './guarded-fetch.js';
import { createSsrfGuard, SsrfRefusedError, type Resolver } from './ssrf-guard.js';
import { nodeConnector } from './ssrf-node.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

const dns: Resolver = async (hostname) => {
  const table: Record<string, string[]> = {
    'cdn.example': ['93.184.215.14'],
    'other.example': ['93.184.215.15'],
    'internal.example': ['10.0.0.5'],
    'sneaky.example': ['127.0.0.1'],
  };
  const answer = table[hostname];
  if (!answer) throw new Error(`ENOTFOUND ${hostname}`);
  return answer;
};

async function* chunks(...parts: Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield part;
}

/** A scripted connector: records every dial and answers from a table keyed by URL. Opens no socket. */
function scripted(routes: Record<string, () => ConnectResponse | Promise<ConnectResponse>>) {
  const dials: { url: string; address: string; method: string }[] = [];
  const connect = async (request: ConnectRequest): Promise<ConnectResponse> => {
    dials.push({ url: request.url.href, address: request.address, method: request.method });
    const route = routes[request.url.href];
    if (!route) throw new Error(`unexpected dial ${request.url.href}`);
    return route();
  };
  return { dials, connect };
}

const redirect = (location: string, status = 302): ConnectResponse => ({ status, headers: new Headers({ location }), body: null });

describe('guarded fetch with an injected connector', () => {
  const guard = createSsrfGuard({ resolve: dns });

  it.each([
    ['http://127.0.0.1/admin'],
    ['https://127.0.0.1/admin'],
    ['https://[::1]/'],
    ['https://[::ffff:127.0.0.1]/'],
    ['https://sneaky.example/x'],
    ['https://internal.example/x'],
    ['https://169.254.169.254/latest/meta-data/iam/'],
    ['https://2130706433/'],
  ])('refuses a redirect to %s without ever dialing it', async (target) => {
    const { dials, connect } = scripted({ 'https://cdn.example/img.png': () => redirect(target) });
    const fetcher = createGuardedFetch({ guard, connect });
    await expect(fetcher('https://cdn.example/img.png')).rejects.toBeInstanceOf(SsrfRefusedError);
    expect(dials).toEqual([{ url: 'https://cdn.example/img.png', address: '93.184.215.14', method: 'GET' }]);
  });

  it('follows allowed redirects, re-checking each hop, and dials the checked address', async () => {
    const { dials, connect } = scripted({
      'https://cdn.example/a': () => redirect('/b', 301),
      'https://cdn.example/b': () => redirect('https://other.example/c', 307),
      'https://other.example/c': () => ({ status: 200, headers: new Headers({ 'content-type': 'text/plain' }), body: chunks(PNG) }),
    });
    const response = await createGuardedFetch({ guard, connect, allowedContentTypes: ['image/png'] })('https://cdn.example/a');
    expect(response).toMatchObject({ status: 200, url: 'https://other.example/c', redirects: 2, sniffedType: 'image/png' });
    expect(Array.from(response.body)).toEqual(Array.from(PNG));
    expect(dials.map((d) => d.address)).toEqual(['93.184.215.14', '93.184.215.14', '93.184.215.15']);
  });

  it('with maxRedirects 0 hands the 3xx back unfollowed', async () => {
    const { dials, connect } = scripted({ 'https://cdn.example/hook': () => redirect('https://other.example/') });
    const response = await createGuardedFetch({ guard, connect, maxRedirects: 0 })('https://cdn.example/hook', { method: 'POST', body: '{}' });
    expect(response.status).toBe(302);
    expect(dials).toHaveLength(1);
  });

  it('stops after maxRedirects', async () => {
    const { connect } = scripted({ 'https://cdn.example/loop': () => redirect('https://cdn.example/loop') });
    const error = await createGuardedFetch({ guard, connect, maxRedirects: 2 })('https://cdn.example/loop').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchLimitError);
    expect(error).toMatchObject({ limit: 'too_many_redirects' });
  });

  it('enforces the size limit while streaming', async () => {
    const { connect } = scripted({
      'https://cdn.example/big': () => ({ status: 200, headers: new Headers(), body: chunks(new Uint8Array(600), new Uint8Array(600)) }),
    });
    const error = await createGuardedFetch({ guard, connect, maxBytes: 1000 })('https://cdn.example/big').catch((e: unknown) => e);
    expect(error).toMatchObject({ limit: 'too_large' });
  });

  it('enforces the time limit through the abort signal', async () => {
    const connect = (request: ConnectRequest): Promise<ConnectResponse> =>
      new Promise((_resolve, reject) => request.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    const started = Date.now();
    const error = await createGuardedFetch({ guard, connect, timeoutMs: 50 })('https://cdn.example/slow').catch((e: unknown) => e);
    expect(error).toMatchObject({ limit: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('sniffs the content type from bytes, not from the header', async () => {
    const html = new TextEncoder().encode('<!DOCTYPE html><p>hi');
    const { connect } = scripted({
      'https://cdn.example/fake.png': () => ({ status: 200, headers: new Headers({ 'content-type': 'image/png' }), body: chunks(html) }),
    });
    const error = await createGuardedFetch({ guard, connect, allowedContentTypes: ['image/png', 'image/jpeg', 'image/webp'] })('https://cdn.example/fake.png').catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ limit: 'content_type', message: 'content is text/html, expected one of image/png, image/jpeg, image/webp' });
    expect(sniffContentType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffContentType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffContentType(new TextEncoder().encode(' {"a":1}'))).toBe('application/json');
    expect(sniffContentType(new Uint8Array([1, 2, 3]))).toBe('application/octet-stream');
  });
});

describe('Node connector against a loopback server', () => {
  let server: Server;
  let port = 0;
  const seen: { host: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ host: req.headers.host, body });
        if (req.url === '/hang') return; // never answers
        if (req.url === '/redirect') {
          res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(PNG));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    port = address.port;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  it('dials the checked address, not a fresh lookup of the name', async () => {
    // `hooks.invalid` can never resolve in real DNS; the request only arrives because the connector dials
    // the address the injected resolver gave the guard.
    const guard = createSsrfGuard({ resolve: async () => ['127.0.0.1'], allowLoopback: true });
    const fetcher = createGuardedFetch({ guard, connect: nodeConnector });
    const response = await fetcher(`http://hooks.invalid:${port}/hook`, { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' } });
    expect(response).toMatchObject({ status: 200, sniffedType: 'image/png' });
    expect(seen.at(-1)).toEqual({ host: `hooks.invalid:${port}`, body: '{"x":1}' });
  });

  it('is refused outright without the local loopback allowance', async () => {
    const guard = createSsrfGuard({ resolve: async () => ['127.0.0.1'] });
    const before = seen.length;
    await expect(createGuardedFetch({ guard, connect: nodeConnector })(`https://hooks.invalid:${port}/`)).rejects.toBeInstanceOf(SsrfRefusedError);
    expect(seen.length).toBe(before);
  });

  it('gives up on a server that never answers, at the time limit', async () => {
    const guard = createSsrfGuard({ resolve: async () => ['127.0.0.1'], allowLoopback: true });
    const started = Date.now();
    const error = await createGuardedFetch({ guard, connect: nodeConnector, timeoutMs: 300 })(`http://127.0.0.1:${port}/hang`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchLimitError);
    expect(error).toMatchObject({ limit: 'timeout' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('returns a redirect unfollowed when asked to', async () => {
    const guard = createSsrfGuard({ resolve: async () => ['127.0.0.1'], allowLoopback: true });
    const response = await createGuardedFetch({ guard, connect: nodeConnector, maxRedirects: 0 })(`http://127.0.0.1:${port}/redirect`);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://127.0.0.1:1/elsewhere');
  });
});
