// Inputs end to end: data URIs and presigned uploads are claim-checked into S3, and the queued job's SQS
// message, its row and its stored inputs agree.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobResource } from '../../functions/api/schemas/job-resource.js';
import { dataUri, pngBytes, startApiHarness, type ApiHarness, type JsonError } from './api-harness.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(() => h.stop());

interface UploadReply {
  id: string;
  object: string;
  reference: string;
  upload_url: string;
  method: string;
  headers: Record<string, string>;
  expires_at: string;
}

async function upload(bytes: Uint8Array, contentType: string, key = h.key): Promise<UploadReply> {
  const res = await h.call('POST', '/v1/uploads', { body: { content_type: contentType }, key });
  expect(res.status).toBe(201);
  const slot = (await res.json()) as UploadReply;
  const put = await fetch(slot.upload_url, { method: slot.method, headers: slot.headers, body: new Uint8Array(bytes) });
  expect(put.status).toBe(200);
  return slot;
}

describe('POST /v1/uploads', () => {
  it('returns a presigned PUT and an upload: reference', async () => {
    const res = await h.call('POST', '/v1/uploads', { body: { content_type: 'image/webp' } });
    const slot = (await res.json()) as UploadReply;
    expect(slot).toMatchObject({ object: 'upload', method: 'PUT', headers: { 'content-type': 'image/webp' } });
    expect(slot.reference).toBe(`upload:${slot.id}`);
    expect(new URL(slot.upload_url).pathname).toContain(`/uploads/acme/${slot.id}`);
  });

  it('rejects other content types and unknown fields', async () => {
    const bad = await h.call('POST', '/v1/uploads', { body: { content_type: 'image/gif' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as JsonError).error.param).toBe('content_type');
    const extra = await h.call('POST', '/v1/uploads', { body: { content_type: 'image/png', size: 1 } });
    expect(((await extra.json()) as JsonError).error.param).toBe('size');
  });
});

describe('a queued job: message, row and stored inputs agree', () => {
  it('with a data URI, an upload and an https URL in a multi-turn conversation', async () => {
    const inline = await pngBytes(12, 10);
    const jpeg = new Uint8Array(
      await sharp({ create: { width: 20, height: 30, channels: 3, background: 'blue' } })
        .jpeg()
        .toBuffer(),
    );
    const slot = await upload(jpeg, 'image/jpeg');
    // Drain messages of earlier tests so the one we read is ours.
    for (
      let batch = await h.stack.jobs.receive({ maxMessages: 10, waitSeconds: 0 });
      batch.length > 0;
      batch = await h.stack.jobs.receive({ maxMessages: 10, waitSeconds: 0 })
    ) {
      await Promise.all(batch.map((m) => h.stack.jobs.delete(m.receiptHandle)));
    }
    const request = {
      model: 'nexus-mini',
      messages: [
        { role: 'system', content: 'Be precise.' },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: dataUri(inline, 'image/jpeg') } },
            { type: 'text', text: 'Make it blue.' },
          ],
        },
        { role: 'assistant', content: [{ type: 'image_url', image_url: { url: slot.reference } }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Compare with this.' },
            { type: 'image_url', image_url: { url: 'https://images.example.com/a.png' } },
          ],
        },
      ],
      output: { modalities: ['image'], format: 'webp', n: 1 },
      params: { seed: 42, steps: 8, guidance: 2.5, temperature: 0.5, top_p: 0.9, max_tokens: 32 },
      metadata: { order: 'A-17' },
    };
    const res = await h.call('POST', '/v1/jobs', { body: request });
    expect(res.status).toBe(202);
    const job = (await res.json()) as JobResource;

    const [message] = await h.stack.jobs.receive({ maxMessages: 1, waitSeconds: 1 });
    expect(message?.body).toEqual({ v: 1, job_id: job.id, tenant: 'acme', model: 'nexus-mini', attempt: 1 });

    const row = await h.stack.table.getJob('acme', job.id);
    expect(row).toMatchObject({
      id: job.id,
      tenant: 'acme',
      model: 'nexus-mini',
      status: 'queued',
      output: { modalities: ['image'], format: 'webp', n: 1 },
      params: { seed: 42, steps: 8, guidance: 2.5, temperature: 0.5, topP: 0.9, maxTokens: 32 },
      metadata: { order: 'A-17' },
      eventSequence: 1,
      cancelRequested: false,
    });
    expect(Date.parse(row?.deadline ?? '') - Date.parse(row?.createdAt ?? '')).toBe(3600_000);
    // The declared type of the data URI said jpeg; the bytes are PNG, and the bytes win.
    expect(row?.messages).toEqual([
      { role: 'system', content: [{ type: 'text', text: 'Be precise.' }] },
      {
        role: 'user',
        content: [
          { type: 'image', key: `inputs/acme/${job.id}/0.png`, mediaType: 'image/png', width: 12, height: 10 },
          { type: 'text', text: 'Make it blue.' },
        ],
      },
      { role: 'assistant', content: [{ type: 'image', key: `inputs/acme/${job.id}/1.jpg`, mediaType: 'image/jpeg', width: 20, height: 30 }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare with this.' },
          { type: 'image_url', url: 'https://images.example.com/a.png' },
        ],
      },
    ]);
    expect(await h.stack.objects.get(`inputs/acme/${job.id}/0.png`)).toEqual(inline);
    expect(await h.stack.objects.get(`inputs/acme/${job.id}/1.jpg`)).toEqual(jpeg);
    expect((await h.stack.objects.head(`inputs/acme/${job.id}/1.jpg`))?.contentType).toBe('image/jpeg');
  });

  it("another tenant's upload reference is not found", async () => {
    const slot = await upload(await pngBytes(), 'image/png', h.otherKey);
    const res = await h.call('POST', '/v1/jobs', {
      body: { model: 'nexus-mini', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: slot.reference } }] }] },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as JsonError).error).toMatchObject({ code: 'upload_not_found', param: 'messages[0].content[0].image_url.url' });
  });

  it('an uploaded file that is not an image is refused by its bytes', async () => {
    const slot = await upload(new TextEncoder().encode('<html>not an image</html>'), 'image/png');
    const res = await h.call('POST', '/v1/jobs', {
      body: { model: 'nexus-mini', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: slot.reference } }] }] },
    });
    expect(((await res.json()) as JsonError).error).toMatchObject({ code: 'unsupported_image_format' });
  });
});
