import { describe, expect, it } from 'vitest';
import { makeJob } from '../test/webhooks/support.js';
import { isId } from './ids.js';
import { buildEventMessage, deriveEventId, parseEventMessage } from './events.js';

describe('event ids', () => {
  it('are a pure function of (job id, sequence), valid evt_ ids sorting with the job', async () => {
    const jobId = 'job_01JD0000000000000000000000';
    const a = await deriveEventId(jobId, 4);
    expect(a).toBe(await deriveEventId(jobId, 4));
    expect(a).not.toBe(await deriveEventId(jobId, 5));
    expect(a).not.toBe(await deriveEventId('job_01JD0000000000000000000001', 4));
    expect(isId('evt', a)).toBe(true);
    expect(a.slice(4, 14)).toBe('01JD000000');
  });
});

describe('event messages', () => {
  it('carry the job without its input messages and survive the queue round trip', async () => {
    const job = makeJob('acme', 'http://127.0.0.1:1/hook', { eventSequence: 4 });
    const message = await buildEventMessage('job.succeeded', job, 4, new Date('2026-01-01T00:00:03Z'));
    expect(message).toMatchObject({ v: 1, type: 'job.succeeded', sequence: 4, tenant: 'acme', job_id: job.id, created_at: '2026-01-01T00:00:03.000Z' });
    expect(message.id).toBe(await deriveEventId(job.id, 4));
    expect('messages' in message.job).toBe(false);
    expect(parseEventMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
  });

  it('rejects bodies that are not events', () => {
    expect(() => parseEventMessage({ v: 1, id: 'evt_x', type: 'job.exploded' })).toThrow();
    expect(() => parseEventMessage('hello')).toThrow();
  });
});
