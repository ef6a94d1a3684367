// local-aws-sqs behind a small translating front, so that SQS clients see AWS behaviour on loopback:
// - ReceiveMessage long polls return as soon as a message is there (local-aws-sqs waits for a full batch):
//   a waiting poll looks again when a send or a visibility change goes through the front, else every 50 ms
//   (for delays and visibility timeouts running out, which nothing announces);
// - a receive asks local-aws-sqs for no more messages than are ready, and makes no call when none are (it holds
//   every receive ~40 ms unless it can fill MaxNumberOfMessages, so a batch receive or an empty poll cost 40 ms);
// - a batch never holds one message twice (it can with visibility 0);
// - a long poll whose caller has gone takes no message (else it sits in flight, unseen, until its timeout);
// - ApproximateNumberOfMessages excludes in-flight messages (local-aws-sqs counts them);
// - MessageSystemAttributeNames (the SDK's current name) works (local-aws-sqs knows only AttributeNames);
// - ApproximateReceiveCount and DLQ redrive ignore visibility changes (local-sqs-redrive.ts).
// Left as is: messages live in memory; a redriven message gets a new MessageId in the DLQ (AWS keeps it).
// Only the JSON protocol (what SDK v3 speaks) is translated; anything else passes through untouched.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequestHandler } from 'local-aws-sqs';
import { createRedriveBook } from './local-sqs-redrive.js';

export interface LocalSqsOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  region: string;
}

export interface LocalSqs {
  port: number;
  close(): Promise<void>;
}

const POLL_MS = 50;
const INTERCEPTED = new Set(
  ['ReceiveMessage', 'GetQueueAttributes', 'CreateQueue', 'SetQueueAttributes', 'ChangeMessageVisibility', 'ChangeMessageVisibilityBatch'].map(
    (action) => `AmazonSQS.${action}`,
  ),
);
const PASSED_HEADERS = ['content-type', 'x-amz-target', 'x-amzn-query-mode'];
// Calls after which a waiting long poll may find a message it did not find before.
const WAKING = new Set(['AmazonSQS.SendMessage', 'AmazonSQS.SendMessageBatch', 'AmazonSQS.ChangeMessageVisibility', 'AmazonSQS.ChangeMessageVisibilityBatch']);

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Listens on host:port (0 = any free port) and resolves with the bound port. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      const address = server.address();
      if (address === null || typeof address === 'string') fail(new Error('server has no port'));
      else done(address.port);
    });
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return null;
  }
}

/**
 * Wakes waiting long polls. Sends pass through unparsed, so a wake-up is not per queue: a poll of another
 * queue just looks once more. The counter closes the gap between a poll's look and its wait: a change that
 * lands in between is seen as a moved counter and the poll looks again at once.
 */
function createWakeups(): { readonly count: number; wake(): void; wait(ms: number, seen: number): Promise<void> } {
  let count = 0;
  const waiting = new Set<() => void>();
  return {
    get count() {
      return count;
    },
    wake() {
      count += 1;
      for (const done of waiting) done();
      waiting.clear();
    },
    wait(ms, seen) {
      if (count !== seen) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiting.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        waiting.add(done);
      });
    },
  };
}

const queueNameOf = (queueUrl: unknown): string => (typeof queueUrl === 'string' ? queueUrl.slice(queueUrl.lastIndexOf('/') + 1) : '');
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

export async function startLocalSqs(options: LocalSqsOptions): Promise<LocalSqs> {
  const inner = createServer();
  const innerPort = await listen(inner, 0, options.host);
  const outer = createServer();
  const port = await listen(outer, options.port, options.host);
  // Queue URLs must name the front, because SDK v3 sends each call to its QueueUrl.
  const { requestHandler } = createRequestHandler({ port, hostname: options.host, region: options.region, emulateQueueCreationLifecycle: false });
  inner.on('request', (req: IncomingMessage, res: ServerResponse) => void requestHandler(req, res));
  const innerBase = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${innerPort}`;

  async function forward(req: IncomingMessage, body: string): Promise<Reply> {
    const headers: Record<string, string> = {};
    for (const name of PASSED_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const reply = await fetch(`${innerBase}${req.url ?? '/'}`, { method: req.method, headers, body: req.method === 'GET' ? undefined : body });
    const out: Record<string, string> = {};
    reply.headers.forEach((value, name) => {
      if (name === 'content-type' || name.startsWith('x-amz')) out[name] = value;
    });
    return { status: reply.status, headers: out, body: await reply.text() };
  }

  const book = createRedriveBook();
  const wakeups = createWakeups();

  /** One JSON-protocol call straight to local-aws-sqs (for the moves the front makes itself). */
  async function call(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = await fetch(`${innerBase}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AmazonSQS.${action}` },
      body: JSON.stringify(input),
    });
    const text = await reply.text();
    if (reply.status !== 200) throw new Error(`local SQS ${action} failed: ${reply.status} ${text}`);
    if (action === 'SendMessage') wakeups.wake();
    return parseJson(text) ?? {};
  }

  async function receive(req: IncomingMessage, input: Record<string, unknown>, gone: () => boolean): Promise<Reply> {
    const wait = typeof input.WaitTimeSeconds === 'number' ? input.WaitTimeSeconds : 0;
    const wanted = [...strings(input.MessageSystemAttributeNames), ...strings(input.AttributeNames)];
    const wantsMessageAttributes = strings(input.MessageAttributeNames).length > 0;
    const queueUrl = typeof input.QueueUrl === 'string' ? input.QueueUrl : '';
    const queue = queueNameOf(queueUrl);
    const max = typeof input.MaxNumberOfMessages === 'number' ? Math.max(1, Math.min(10, input.MaxNumberOfMessages)) : 1;
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      const seen = wakeups.count;
      // local-aws-sqs holds every receive ~40 ms unless it can fill MaxNumberOfMessages, so the front asks for no
      // more than are ready, and makes no call at all when none are (an empty short poll answers at once, as in AWS).
      const ready = await readyCount(queueUrl);
      // A poll whose caller has gone (a stopped worker, an aborted request) takes nothing: the message would sit
      // in flight, unseen, until its visibility timeout.
      if (ready === 0 || gone()) {
        if (Date.now() + POLL_MS >= deadline || gone()) return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' };
        await wakeups.wait(POLL_MS, seen);
        continue;
      }
      // Everything is asked for, because a message moved to the DLQ must keep its attributes.
      const request = JSON.stringify({
        ...input,
        MaxNumberOfMessages: Math.min(max, ready),
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: undefined,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      });
      const reply = await forward(req, request);
      // An empty 200 body is local-aws-sqs's way of saying "no messages".
      const parsed = reply.status !== 200 ? null : reply.body.trim() === '' ? {} : parseJson(reply.body);
      if (!parsed) return reply;
      const latest = new Map<unknown, Record<string, unknown>>();
      for (const message of Array.isArray(parsed.Messages) ? parsed.Messages.filter(isRecord) : []) latest.set(message.MessageId, message);
      const delivered: Record<string, unknown>[] = [];
      for (const message of latest.values()) {
        const attributes = isRecord(message.Attributes) ? { ...message.Attributes } : {};
        const decision = book.decide(queue, String(message.MessageId), Number(attributes.ApproximateReceiveCount ?? 1));
        if (decision.deadLetterQueue !== null) {
          const dlqUrl = `${queueUrl.slice(0, queueUrl.lastIndexOf('/') + 1)}${decision.deadLetterQueue}`;
          await call('SendMessage', { QueueUrl: dlqUrl, MessageBody: message.Body, MessageAttributes: message.MessageAttributes });
          await call('DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle });
          continue;
        }
        attributes.ApproximateReceiveCount = String(decision.receiveCount);
        const kept = Object.fromEntries(Object.entries(attributes).filter(([name]) => wanted.includes('All') || wanted.includes(name)));
        const out: Record<string, unknown> = { ...message, Attributes: wanted.length ? kept : undefined };
        if (!wantsMessageAttributes) {
          delete out.MessageAttributes;
          delete out.MD5OfMessageAttributes;
        }
        delivered.push(out);
      }
      if (delivered.length > 0 || Date.now() + POLL_MS >= deadline || gone()) {
        return { ...reply, body: JSON.stringify(delivered.length ? { ...parsed, Messages: delivered } : {}) };
      }
      await wakeups.wait(POLL_MS, seen);
    }
  }

  /** Messages a receive could take now: local-aws-sqs's count (delayed ones are not in it, in-flight ones are)
   * less the in-flight ones. */
  async function readyCount(queueUrl: string): Promise<number> {
    const out = await call('GetQueueAttributes', { QueueUrl: queueUrl, AttributeNames: ['All'] });
    const a = isRecord(out.Attributes) ? out.Attributes : {};
    const count = (name: string): number => Number(a[name] ?? 0) || 0;
    return Math.max(0, count('ApproximateNumberOfMessages') - count('ApproximateNumberOfMessagesNotVisible'));
  }

  async function queueAttributes(req: IncomingMessage, input: Record<string, unknown>): Promise<Reply> {
    const names = strings(input.AttributeNames);
    const reply = await forward(req, JSON.stringify({ ...input, AttributeNames: ['All'] }));
    const parsed = reply.status === 200 ? parseJson(reply.body) : null;
    if (!parsed || !isRecord(parsed.Attributes)) return reply;
    const attributes = book.policyOut(queueNameOf(input.QueueUrl), { ...parsed.Attributes });
    const visible = Number(attributes.ApproximateNumberOfMessages ?? 0);
    const inFlight = Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
    attributes.ApproximateNumberOfMessages = String(Math.max(0, visible - inFlight));
    const kept = names.includes('All') ? attributes : Object.fromEntries(Object.entries(attributes).filter(([name]) => names.includes(name)));
    return { ...reply, body: JSON.stringify({ ...parsed, Attributes: kept }) };
  }

  /** The calls the front only looks at or lightly rewrites on their way through. */
  async function passThrough(req: IncomingMessage, target: string, input: Record<string, unknown>): Promise<Reply> {
    const action = target.slice(target.indexOf('.') + 1);
    let forwarded = input;
    if ((action === 'CreateQueue' || action === 'SetQueueAttributes') && isRecord(input.Attributes)) {
      const queue = action === 'CreateQueue' ? String(input.QueueName ?? '') : queueNameOf(input.QueueUrl);
      forwarded = { ...input, Attributes: book.policyIn(queue, input.Attributes) };
    }
    const reply = await forward(req, JSON.stringify(forwarded));
    if (reply.status !== 200) return reply;
    const handles = (entries: unknown) => (Array.isArray(entries) ? entries.filter(isRecord).map((e) => String(e.ReceiptHandle ?? '')) : []);
    if (action === 'ChangeMessageVisibility') book.visibilityChanged(String(input.ReceiptHandle ?? ''));
    if (action === 'ChangeMessageVisibilityBatch') for (const handle of handles(input.Entries)) book.visibilityChanged(handle);
    return reply;
  }

  outer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const target = req.headers['x-amz-target'];
    // Everything the front does not change (SendMessage above all) goes straight to local-aws-sqs, unbuffered.
    if (typeof target === 'string' && WAKING.has(target)) res.on('finish', () => wakeups.wake());
    if (typeof target !== 'string' || !INTERCEPTED.has(target)) {
      void requestHandler(req, res);
      return;
    }
    let closed = false;
    res.on('close', () => {
      closed = true;
    });
    void (async () => {
      try {
        const body = await readBody(req);
        const input = parseJson(body);
        let reply: Reply;
        if (input && target === 'AmazonSQS.ReceiveMessage') reply = await receive(req, input, () => closed);
        else if (input && target === 'AmazonSQS.GetQueueAttributes') reply = await queueAttributes(req, input);
        else if (input) reply = await passThrough(req, target, input);
        else reply = await forward(req, body);
        if (closed) return;
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      } catch (error) {
        if (closed) return;
        res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ __type: 'InternalFailure', message: String(error) }));
      }
    })();
  });

  const closeServer = (server: Server) =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return {
    port,
    async close() {
      await closeServer(outer);
      await closeServer(inner);
    },
  };
}
