// The client: `new Nexus({ apiKey, baseURL })`, its resources (jobs, uploads, models, usage, webhooks) and the one-line
// helpers. Only fetch, Web Crypto, ReadableStream and AbortSignal are used, so it runs on Node 20+, Deno, Bun,
// browsers and edge functions.
import { Conversation, GENERATE_TEMPLATE, imagePart, run, type GenerateOptions, type HelperDeps, type Result, type RunOptions } from './helpers.js';
import { Jobs } from './jobs.js';
import type { ImageInput } from './media.js';
import { Models } from './models.js';
import type { RetryOptions } from './retry.js';
import { createTransport, type Transport } from './transport.js';
import type { OutputImage } from './types.js';
import { Uploads } from './uploads.js';
import { Usage } from './usage.js';
import { Webhooks } from './webhooks.js';

export interface NexusOptions {
  apiKey: string;
  /** Default: the local platform (`npm start`), http://127.0.0.1:3000. */
  baseURL?: string;
  /** The model the helpers use (default nexus-mini). */
  model?: string;
  /** Retries after the first attempt on 429, 5xx and network errors (default 2). */
  maxRetries?: number;
  retry?: Partial<Omit<RetryOptions, 'maxRetries'>>;
  /** Per attempt (default 60 s). */
  timeoutMs?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000';

export class Nexus {
  readonly jobs: Jobs;
  readonly uploads: Uploads;
  readonly models: Models;
  readonly webhooks: Webhooks;
  readonly usage: Usage;
  readonly baseURL: string;
  private readonly transport: Transport;
  private readonly helperDeps: HelperDeps;

  constructor(options: NexusOptions) {
    if (typeof options.apiKey !== 'string' || options.apiKey === '') throw new TypeError('Nexus: apiKey is required');
    // A key with spaces or control characters cannot travel in a header; say so now, not as a network error later.
    if (!/^[\x21-\x7e]+$/.test(options.apiKey)) throw new TypeError('Nexus: apiKey has characters an API key never has (spaces, line breaks, non-ASCII)');
    this.transport = createTransport({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? DEFAULT_BASE_URL,
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
      retry: { ...options.retry, ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }) },
    });
    this.baseURL = this.transport.baseURL;
    this.jobs = new Jobs(this.transport);
    this.uploads = new Uploads(this.transport);
    this.models = new Models(this.transport);
    this.webhooks = new Webhooks();
    this.usage = new Usage(this.transport);
    this.helperDeps = { jobs: this.jobs, uploads: this.uploads, defaultModel: options.model ?? 'nexus-mini', download: (image, signal) => this.download(image, signal) };
  }

  /** Text → image. The prompt is a description; GENERATE_TEMPLATE goes in front unless `template: false`. */
  generate(prompt: string, options: GenerateOptions = {}): Promise<Result> {
    const text = options.template === false ? prompt : GENERATE_TEMPLATE + prompt;
    return run(this.helperDeps, [{ role: 'user', content: text }], ['image'], options);
  }

  /** Image + question → text. */
  async understand(image: ImageInput, question: string, options: RunOptions = {}): Promise<Result> {
    const part = await imagePart(image, this.uploads, options.signal);
    return run(this.helperDeps, [{ role: 'user', content: [part, { type: 'text', text: question }] }], ['text'], options);
  }

  /** Image + instruction → image. */
  async edit(image: ImageInput, instruction: string, options: RunOptions = {}): Promise<Result> {
    const part = await imagePart(image, this.uploads, options.signal);
    return run(this.helperDeps, [{ role: 'user', content: [part, { type: 'text', text: instruction }] }], ['image'], options);
  }

  /** A conversation that keeps its turns: `const chat = nexus.conversation(); await chat.send('…')`. */
  conversation(options: RunOptions = {}): Conversation {
    return new Conversation(this.helperDeps, options);
  }

  /** An output image's bytes (its presigned URL), with the client's retries. */
  async download(image: OutputImage | string, signal?: AbortSignal): Promise<Uint8Array> {
    const url = typeof image === 'string' ? image : image.image_url.url;
    const res = await this.transport.external(url, { method: 'GET', signal });
    return new Uint8Array(await res.arrayBuffer());
  }
}
