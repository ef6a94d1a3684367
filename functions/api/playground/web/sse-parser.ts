// Server-Sent Events, parsed as the HTML standard's "event stream interpretation" says, for a stream read with
// fetch (EventSource cannot send an Authorization header). Lines end in CRLF, LF or CR; a blank line dispatches
// the event; `:` starts a comment (the server's heartbeats); an event without data lines is not dispatched;
// what is left unterminated when the stream ends is discarded. No DOM and no imports: it runs in the page and in
// the unit tests alike.

export interface SseEvent {
  /** `event:` field; "message" when the event named none. */
  type: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last `id:` seen on the stream so far (it carries over to later events), "" when none. */
  lastEventId: string;
}

export interface SseHandlers {
  onEvent(event: SseEvent): void;
  /** A comment line (`: ping`), without its colon and one leading space. */
  onComment?(text: string): void;
  /** A valid `retry:` field, in milliseconds. */
  onRetry?(ms: number): void;
}

export interface SseParser {
  /** Feeds decoded text; chunks may split lines, fields and CRLF pairs anywhere. */
  push(text: string): void;
  /** The stream ended: an event not yet terminated by a blank line is dropped. */
  end(): void;
}

export function createSseParser(handlers: SseHandlers): SseParser {
  let pending = '';
  let started = false;
  let data: string[] = [];
  let type = '';
  let lastEventId = '';

  const dispatch = () => {
    if (data.length > 0) handlers.onEvent({ type: type === '' ? 'message' : type, data: data.join('\n'), lastEventId });
    data = [];
    type = '';
  };

  const line = (text: string) => {
    if (text === '') return dispatch();
    if (text.startsWith(':')) return handlers.onComment?.(text.slice(1).replace(/^ /, ''));
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'event') type = value;
    else if (field === 'id' && !value.includes('\0')) lastEventId = value;
    else if (field === 'retry' && /^\d+$/.test(value)) handlers.onRetry?.(Number(value));
  };

  return {
    push(text) {
      pending += text;
      if (!started && pending.length > 0) {
        started = true;
        if (pending.startsWith('\uFEFF')) pending = pending.slice(1);
      }
      for (;;) {
        const end = pending.search(/[\r\n]/);
        if (end < 0) return;
        // A CR at the very end may be the first half of a CRLF split across chunks: wait for the next one.
        if (pending[end] === '\r' && end === pending.length - 1) return;
        const width = pending[end] === '\r' && pending[end + 1] === '\n' ? 2 : 1;
        const text = pending.slice(0, end);
        pending = pending.slice(end + width);
        line(text);
      }
    },
    end() {
      // A lone CR held back by push() still ends its line.
      if (pending.endsWith('\r')) line(pending.slice(0, -1));
      pending = '';
      data = [];
      type = '';
    },
  };
}

/** Reads a fetch body as an event stream until it ends, the signal aborts, or a handler throws. */
export async function readSseStream(body: ReadableStream<Uint8Array>, handlers: SseHandlers, signal?: AbortSignal): Promise<void> {
  const parser = createSseParser(handlers);
  const decoder = new TextDecoder('utf-8');
  const reader = body.getReader();
  const abort = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
    parser.end();
  } finally {
    signal?.removeEventListener('abort', abort);
    reader.releaseLock();
  }
}
