// Reads a text/event-stream body the way a browser's fetch + stream reader would: events as {id, event, data}
// and comment lines (`: ping`) as they arrive, so a test can stop reading (disconnect) at any point.

export interface SseEvent {
  id: string;
  event: string;
  data: string;
}

export interface SseReadOptions {
  /** Return true to stop reading (the reader is cancelled: the client disconnects). */
  onEvent?: (event: SseEvent) => boolean | void;
  onComment?: (comment: string) => void;
}

export interface SseReadResult {
  events: SseEvent[];
  comments: string[];
  /** True when the server ended the stream; false when onEvent stopped it. */
  ended: boolean;
}

function parseBlock(block: string): SseEvent | { comment: string } | null {
  const fields: Record<string, string> = {};
  let comment: string | null = null;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) comment = line.slice(1).trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
  }
  if (fields.data !== undefined) return { id: fields.id ?? '', event: fields.event ?? 'message', data: fields.data };
  return comment === null ? null : { comment };
}

export async function readSse(response: Response, options: SseReadOptions = {}): Promise<SseReadResult> {
  if (response.body === null) throw new Error('no body');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return { events, comments, ended: true };
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const parsed = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf('\n\n');
      if (parsed === null) continue;
      if ('comment' in parsed) {
        comments.push(parsed.comment);
        options.onComment?.(parsed.comment);
        continue;
      }
      events.push(parsed);
      if (options.onEvent?.(parsed) === true) {
        await reader.cancel();
        return { events, comments, ended: false };
      }
    }
  }
}
