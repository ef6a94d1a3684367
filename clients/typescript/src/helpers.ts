// The common cases in one line: generate, understand, edit, and a conversation that keeps its turns. Each submits a
// job, waits for it (live events, polling as the fallback) and returns its text and images, or throws
// JobFailedError when it ends failed, canceled or expired.
import { JobFailedError } from './errors.js';
import type { Jobs, WaitOptions } from './jobs.js';
import { dataUri, sniffImageType, toBytes, type ImageInput } from './media.js';
import type { Uploads } from './uploads.js';
import type { ContentPart, Job, JobEvent, JobRequest, Message, OutputImage, OutputSpec, Params, WebhookSpec } from './types.js';

/** Images up to this size ride inline as data URIs; larger ones go through POST /v1/uploads. */
export const INLINE_IMAGE_BYTES = 512 * 1024;

/** The phrasing the model was trained on for text → image. */
export const GENERATE_TEMPLATE = 'Generate an image according to the following description: ';

export interface RunOptions {
  model?: string;
  params?: Params;
  /** Output format and count (`modalities` is set by the helper). */
  output?: Omit<OutputSpec, 'modalities'>;
  webhook?: WebhookSpec;
  metadata?: Record<string, string>;
  onProgress?: (job: Job, event?: JobEvent) => void;
  signal?: AbortSignal;
  /** Milliseconds to wait for the job (WaitTimeoutError after it). */
  timeout?: number;
  /** false: poll instead of streaming events. */
  stream?: boolean;
}

export interface GenerateOptions extends RunOptions {
  /** false: send the prompt as it is, without GENERATE_TEMPLATE in front. */
  template?: boolean;
}

export interface Result {
  job: Job;
  /** The model's text ('' when it only drew). */
  text: string;
  images: OutputImage[];
}

export interface HelperDeps {
  jobs: Jobs;
  uploads: Uploads;
  defaultModel: string;
  download(image: OutputImage | string, signal?: AbortSignal): Promise<Uint8Array>;
}

export function resultOf(job: Job): Result {
  if (job.status !== 'succeeded') throw new JobFailedError(job);
  const parts = job.output?.content ?? [];
  return {
    job,
    text: parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join(''),
    images: parts.filter((part): part is OutputImage => part.type === 'image_url'),
  };
}

/** An image as a content part: strings (https, data:, upload:) as they are; bytes inline or uploaded. */
export async function imagePart(image: ImageInput, uploads: Uploads, signal?: AbortSignal): Promise<ContentPart> {
  if (typeof image === 'string') return { type: 'image_url', image_url: { url: image } };
  const bytes = await toBytes(image);
  const type = sniffImageType(bytes);
  if (type !== null && bytes.length <= INLINE_IMAGE_BYTES) return { type: 'image_url', image_url: { url: dataUri(bytes, type) } };
  const upload = await uploads.create(bytes, { ...(type === null ? {} : { contentType: type }), signal });
  return { type: 'image_url', image_url: { url: upload.reference } };
}

export async function run(deps: HelperDeps, messages: Message[], modalities: OutputSpec['modalities'], options: RunOptions): Promise<Result> {
  const request: JobRequest = {
    model: options.model ?? deps.defaultModel,
    messages,
    output: { ...options.output, modalities },
    ...(options.params ? { params: options.params } : {}),
    ...(options.webhook ? { webhook: options.webhook } : {}),
    ...(options.metadata ? { metadata: options.metadata } : {}),
  };
  const created = await deps.jobs.create(request, { signal: options.signal });
  const wait: WaitOptions = { onProgress: options.onProgress, signal: options.signal, timeout: options.timeout, stream: options.stream };
  return resultOf(await deps.jobs.wait(created.id, wait));
}

/**
 * A multi-turn conversation, kept client-side (the API is stateless): each `send` submits every earlier turn plus
 * the new one, and the model's reply (its images as bytes, so they never expire) joins the history.
 */
export class Conversation {
  readonly messages: Message[] = [];

  constructor(
    private readonly deps: HelperDeps,
    private readonly options: RunOptions = {},
  ) {}

  /** Sends a user turn (text, and optionally an image); the model decides whether to answer in text or draw. */
  async send(text: string, extra: { image?: ImageInput; signal?: AbortSignal; onProgress?: RunOptions['onProgress'] } = {}): Promise<Result> {
    const signal = extra.signal ?? this.options.signal;
    const content: ContentPart[] = extra.image === undefined ? [] : [await imagePart(extra.image, this.deps.uploads, signal)];
    content.push({ type: 'text', text });
    const turn: Message = { role: 'user', content };
    const result = await run(this.deps, [...this.messages, turn], null, { ...this.options, signal, onProgress: extra.onProgress ?? this.options.onProgress });
    const reply: ContentPart[] = result.text === '' ? [] : [{ type: 'text', text: result.text }];
    for (const image of result.images) reply.push(await imagePart(await this.deps.download(image, signal), this.deps.uploads, signal));
    this.messages.push(turn, { role: 'assistant', content: reply });
    return result;
  }
}
