import { describe, expect, it } from 'vitest';
import { createGuardedFetch, type ConnectRequest, type Connector } from '../../shared/guarded-fetch.js';
import { createSsrfGuard } from '../../shared/ssrf-guard.js';
import { InputError, TransientInputError } from './failures.js';
import { createImageFetcher } from './image-fetcher.js';

/** A PNG's signature and IHDR chunk, declaring width × height: all the header check reads. */
function pngHeader(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return bytes;
}

const PNG = pngHeader(8, 8);

/** Answers from a table keyed by URL; never opens a socket. */
function tableConnector(answers: Record<string, { status: number; headers?: Record<string, string>; body?: Uint8Array }>): {
  connect: Connector;
  calls: ConnectRequest[];
} {
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
  return createImageFetcher(createGuardedFetch({ guard, connect, maxBytes: 1024 }), { maxImageBytes: 1024, maxImageSide: 4096, maxImagePixels: 16 * 1024 * 1024 });
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
    expect(error).toBeInstanceOf(TransientInputError);
    expect(error).toMatchObject({ type: 'image_fetch_failed', message: 'image URL https://images.example.com/busy answered HTTP 503' });
  });

  it('treats a refused connection as transient, in words a customer can read', async () => {
    const refused: Connector = async () => {
      throw Object.assign(new Error('connect ECONNREFUSED 93.184.216.34:443'), { code: 'ECONNREFUSED' });
    };
    expect(await failure(fetcher(refused)('https://images.example.com/a.png'))).toMatchObject({
      name: 'TransientInputError',
      type: 'image_fetch_failed',
      message: 'could not fetch image https://images.example.com/a.png: connection refused',
    });
  });

  it('refuses an image over the byte limit as image_too_large, naming the limit', async () => {
    const big = new Uint8Array(1025);
    big.set(PNG);
    const { connect } = tableConnector({ 'https://images.example.com/big.png': { status: 200, body: big } });
    expect(await failure(fetcher(connect)('https://images.example.com/big.png'))).toMatchObject({
      name: 'InputError',
      type: 'image_too_large',
      message: 'image URL https://images.example.com/big.png: image is larger than 1024 bytes',
    });
  });

  it.each([
    [4097, 64, 'image is 4097x64; at most 4096px a side and 16777216 pixels'],
    [64, 4097, 'image is 64x4097; at most 4096px a side and 16777216 pixels'],
    [100_000, 100_000, 'image is 100000x100000; at most 4096px a side and 16777216 pixels'],
  ])('refuses a %ix%i header as image_too_large before decoding', async (width, height, problem) => {
    const { connect } = tableConnector({ 'https://images.example.com/wide.png': { status: 200, body: pngHeader(width, height) } });
    expect(await failure(fetcher(connect)('https://images.example.com/wide.png'))).toMatchObject({
      name: 'InputError',
      type: 'image_too_large',
      message: `image URL https://images.example.com/wide.png: ${problem}`,
    });
  });

  it('takes an image at the side limit', async () => {
    const { connect } = tableConnector({ 'https://images.example.com/edge.png': { status: 200, body: pngHeader(4096, 4096) } });
    expect(await fetcher(connect)('https://images.example.com/edge.png')).toEqual(pngHeader(4096, 4096));
  });

  it('refuses a PNG whose header is broken as invalid_image', async () => {
    const { connect } = tableConnector({ 'https://images.example.com/cut.png': { status: 200, body: PNG.subarray(0, 12) } });
    expect(await failure(fetcher(connect)('https://images.example.com/cut.png'))).toMatchObject({
      name: 'InputError',
      type: 'invalid_image',
      message: 'image URL https://images.example.com/cut.png: png header is truncated',
    });
  });
});
