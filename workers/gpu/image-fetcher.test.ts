import { describe, expect, it } from 'vitest';
import { createGuardedFetch, type ConnectRequest, type Connector } from '../../shared/guarded-fetch.js';
import { createSsrfGuard } from '../../shared/ssrf-guard.js';
import { InputError } from './failures.js';
import { createImageFetcher } from './image-fetcher.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);

/** Answers from a table keyed by URL; never opens a socket. */
function tableConnector(answers: Record<string, { status: number; headers?: Record<string, string>; body?: Uint8Array }>): { connect: Connector; calls: ConnectRequest[] } {
  const calls: ConnectRequest[] = [];
  const connect: Connector = async (request) => {
    calls.push(request);
    const answer = answers[request.url.href] ?? { status: 404 };
    const body = answer.body ?? new Uint8Array(0);
    return {
      status: answer.status,
      headers: new Headers(answer.headers ?? {}),
      body: (async function* () {
        yield body;
      })(),
    };
  };
  return { connect, calls };
}

function fetcher(connect: Connector) {
  const guard = createSsrfGuard({
    resolve: async (host) => ({ 'images.example.com': ['93.184.216.34'], 'loop.example.com': ['127.0.0.1'] })[host] ?? [],
  });
  return createImageFetcher(createGuardedFetch({ guard, connect, maxBytes: 1024 }));
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected a failure'),
    (error: unknown) => error,
  );
}

describe('image fetcher', () => {
  it('returns the bytes of a public https image', async () => {
    const { connect, calls } = tableConnector({ 'https://images.example.com/a.png': { status: 200, body: PNG } });
    expect(await fetcher(connect)('https://images.example.com/a.png')).toEqual(PNG);
    expect(calls.map((c) => c.address)).toEqual(['93.184.216.34']);
  });

  it.each([
    'https://127.0.0.1/a.png',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/a.png',
    'https://loop.example.com/a.png',
    'http://images.example.com/a.png',
  ])('refuses %s as bad input without connecting', async (url) => {
    const { connect, calls } = tableConnector({});
    const error = await failure(fetcher(connect)(url));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ type: 'image_url_refused' });
    expect(calls).toEqual([]);
  });

  it('refuses a redirect to a loopback address before following it', async () => {
    const { connect, calls } = tableConnector({
      'https://images.example.com/r': { status: 302, headers: { location: 'https://127.0.0.1/secret' } },
    });
    expect(await failure(fetcher(connect)('https://images.example.com/r'))).toMatchObject({ name: 'InputError', type: 'image_url_refused' });
    expect(calls.map((c) => c.url.href)).toEqual(['https://images.example.com/r']);
  });

  it('fails content that is not an image, and 4xx answers, permanently', async () => {
    const { connect } = tableConnector({
      'https://images.example.com/page': { status: 200, body: new TextEncoder().encode('<html><body>hi</body></html>') },
      'https://images.example.com/gone': { status: 404 },
    });
    expect(await failure(fetcher(connect)('https://images.example.com/page'))).toMatchObject({ name: 'InputError', type: 'invalid_image_url' });
    expect(await failure(fetcher(connect)('https://images.example.com/gone'))).toMatchObject({ name: 'InputError', type: 'invalid_image_url' });
  });

  it('treats a busy upstream (503) as transient', async () => {
    const { connect } = tableConnector({ 'https://images.example.com/busy': { status: 503 } });
    const error = await failure(fetcher(connect)('https://images.example.com/busy'));
    expect(error).not.toBeInstanceOf(InputError);
    expect(error).toMatchObject({ message: 'image URL https://images.example.com/busy answered HTTP 503' });
  });
});
