// The S3 adapter against s3rver: bytes and content types, missing keys, and presigned URLs used with fetch.
// (s3rver does not check V4 query signatures or expiry; AWS does.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../test/support/local-stack.js';

let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack();
});
afterAll(() => stack.stop());

const bytes = (...values: number[]) => new Uint8Array(values);

describe('put / get / head', () => {
  it('stores bytes with their content type and reads them back exactly', async () => {
    const body = new Uint8Array(256).map((_, i) => i);
    await stack.objects.put('inputs/t1/job_1/0.png', body, 'image/png');
    expect(await stack.objects.get('inputs/t1/job_1/0.png')).toEqual(body);
    expect(await stack.objects.head('inputs/t1/job_1/0.png')).toEqual({ size: 256, contentType: 'image/png' });
  });

  it('overwrites a key (deterministic output keys rerun in place)', async () => {
    await stack.objects.put('outputs/t1/job_2/0.png', bytes(1, 2, 3), 'image/png');
    await stack.objects.put('outputs/t1/job_2/0.png', bytes(9), 'image/webp');
    expect(await stack.objects.get('outputs/t1/job_2/0.png')).toEqual(bytes(9));
    expect(await stack.objects.head('outputs/t1/job_2/0.png')).toEqual({ size: 1, contentType: 'image/webp' });
  });

  it('answers null for a missing key and stores an empty object', async () => {
    expect(await stack.objects.get('nope/missing')).toBeNull();
    expect(await stack.objects.head('nope/missing')).toBeNull();
    await stack.objects.put('empty', bytes(), 'application/octet-stream');
    expect(await stack.objects.get('empty')).toEqual(bytes());
  });
});

describe('presigned URLs', () => {
  it('accepts a PUT with the signed content type and serves it back through a presigned GET', async () => {
    const key = 'uploads/t1/upl_1';
    const putUrl = await stack.objects.presignPut(key, 'image/png', 300);
    const put = await fetch(putUrl, { method: 'PUT', body: bytes(137, 80, 78, 71), headers: { 'content-type': 'image/png' } });
    expect(put.status).toBe(200);
    const get = await fetch(await stack.objects.presignGet(key, 300));
    expect([get.status, get.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(bytes(137, 80, 78, 71));
    expect(await stack.objects.head(key)).toEqual({ size: 4, contentType: 'image/png' });
  });

  it('lets a browser on another origin PUT and read presigned objects (the bucket CORS rule, as deployed)', async () => {
    const origin = 'http://127.0.0.1:3000';
    const key = 'uploads/t1/upl_cors';
    const putUrl = await stack.objects.presignPut(key, 'image/png', 300);
    const preflight = await fetch(putUrl, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    expect([preflight.status, preflight.headers.get('access-control-allow-origin'), preflight.headers.get('access-control-allow-headers')]).toEqual([
      200,
      '*',
      'content-type',
    ]);
    await fetch(putUrl, { method: 'PUT', body: bytes(1), headers: { 'content-type': 'image/png', origin } });
    const get = await fetch(await stack.objects.presignGet(key, 300), { headers: { origin } });
    expect([get.status, get.headers.get('access-control-allow-origin')]).toEqual([200, '*']);
  });

  // s3rver does not verify V4 query signatures, so what S3 would enforce is checked on the URL itself.
  it('signs the content type and the expiry into a presigned PUT', async () => {
    const url = new URL(await stack.objects.presignPut('uploads/t1/upl_2', 'image/webp', 120));
    expect(url.pathname).toBe(`/${stack.resources.bucket}/uploads/t1/upl_2`);
    expect([url.searchParams.get('X-Amz-SignedHeaders'), url.searchParams.get('X-Amz-Expires')]).toEqual(['content-type;host', '120']);
  });

  it('signs the expiry into a presigned GET', async () => {
    const url = new URL(await stack.objects.presignGet('outputs/t1/job_3/0.png', 900));
    expect([url.origin, url.searchParams.get('X-Amz-Expires'), url.searchParams.get('X-Amz-SignedHeaders')]).toEqual([stack.endpoints.s3, '900', 'host']);
  });
});
