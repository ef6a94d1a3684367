// The page's event-stream parser against the HTML standard's rules and the job events contract
// (`id: <event id>\nevent: <type>\ndata: <JSON>\n\n`, `: ping` heartbeats), fed in every possible chunking.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseParser, readSseStream, type SseEvent } from './sse-parser.js';

function parse(chunks: string[]): { events: SseEvent[]; comments: string[]; retries: number[] } {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const retries: number[] = [];
  const parser = createSseParser({ onEvent: (e) => events.push(e), onComment: (c) => comments.push(c), onRetry: (ms) => retries.push(ms) });
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { events, comments, retries };
}

const job = (status: string) => ({ id: 'job_1', status, progress: status === 'running' ? { stage: 'diffusion', step: 3, total: 10 } : null });
const event = (id: string, type: string, sequence: number, status: string) =>
  `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify({ id, type, created_at: '2026-12-03T00:00:00.000Z', sequence, data: job(status) })}\n\n`;
const STREAM = [
  ': ping\n\n',
  event('evt_1', 'job.queued', 1, 'queued'),
  event('evt_2', 'job.progress', 2, 'running'),
  ': ping\n\n',
  event('evt_3', 'job.succeeded', 3, 'succeeded'),
].join('');

describe('createSseParser', () => {
  it('reads the job events contract: types, ids, JSON data; heartbeats are comments', () => {
    const { events, comments } = parse([STREAM]);
    expect(events.map((e) => [e.type, e.lastEventId])).toEqual([
      ['job.queued', 'evt_1'],
      ['job.progress', 'evt_2'],
      ['job.succeeded', 'evt_3'],
    ]);
    expect(JSON.parse(events[1]!.data)).toEqual({ id: 'evt_2', type: 'job.progress', created_at: '2026-12-03T00:00:00.000Z', sequence: 2, data: job('running') });
    expect(comments).toEqual(['ping', 'ping']);
  });

  it('gives the same events however the stream is cut into chunks', () => {
    const whole = parse([STREAM]).events;
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 40 }), (cuts) => {
        const at = [0, ...cuts.sort((a, b) => a - b), STREAM.length];
        const chunks = at.slice(1).map((end, i) => STREAM.slice(at[i], end));
        expect(parse(chunks).events).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('ends lines at CRLF, LF or CR, also with a CRLF split across chunks', () => {
    expect(parse(['data: a\r\n\r\ndata: b\r\rdata: c\n\n']).events.map((e) => e.data)).toEqual(['a', 'b', 'c']);
    expect(parse(['data: a\r', '\n', '\r', '\ndata: b\r', '\r']).events.map((e) => e.data)).toEqual(['a', 'b']);
    // A CRLF cut in two is one line end, not two (which would end the event early).
    expect(parse(['data: a\r', '\ndata: b\r\n\r\n']).events.map((e) => e.data)).toEqual(['a\nb']);
  });

  it('joins data lines with newlines, defaults the type to "message", strips one space only', () => {
    const { events } = parse(['data: first\ndata:second\ndata:  third\n\n']);
    expect(events).toEqual([{ type: 'message', data: 'first\nsecond\n third', lastEventId: '' }]);
  });

  it('dispatches nothing for an event without data, and resets the type after each event', () => {
    const { events } = parse(['event: job.queued\n\nid: evt_9\n\ndata: x\n\n']);
    expect(events).toEqual([{ type: 'message', data: 'x', lastEventId: 'evt_9' }]);
  });

  it('keeps the last id for later events, ignores ids with NUL, and reads retry only when all digits', () => {
    const { events, retries } = parse(['id: a\ndata: 1\n\ndata: 2\n\nid: b\0c\ndata: 3\n\nretry: 1500\nretry: 15x\n\n']);
    expect(events.map((e) => e.lastEventId)).toEqual(['a', 'a', 'a']);
    expect(retries).toEqual([1500]);
  });

  it('treats a line without a colon as a field with an empty value, and ignores unknown fields', () => {
    expect(parse(['data\ndata\nfoo: bar\n\n']).events).toEqual([{ type: 'message', data: '\n', lastEventId: '' }]);
  });

  it('drops a byte-order mark at the start only, and an unterminated event at the end', () => {
    expect(parse(['\uFEFFdata: a\n\n', 'data: b\n']).events.map((e) => e.data)).toEqual(['a']);
    expect(parse(['data: \uFEFFa\n\n']).events.map((e) => e.data)).toEqual(['\uFEFFa']);
  });
});

describe('readSseStream', () => {
  it('decodes UTF-8 split inside a character across reads', async () => {
    const bytes = new TextEncoder().encode('data: café ✓\n\n');
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 1) controller.enqueue(bytes.slice(i, i + 1));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    await readSseStream(body, { onEvent: (e) => events.push(e) });
    expect(events.map((e) => e.data)).toEqual(['café ✓']);
  });
});
