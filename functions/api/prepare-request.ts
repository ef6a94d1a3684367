// The second half of boundary validation: checks that need the model catalogue, the object store or the
// image bytes. After this, the job is trusted and only has to be stored.
import { invalidRequest } from '../../shared/errors.js';
import { isId } from '../../shared/ids.js';
import { imageDimensionsProblem } from '../../shared/image-limits.js';
import type { JobOutputSpec, JobParams, Role, WebhookSpec } from '../../shared/job.js';
import { uploadKey } from '../../shared/object-keys.js';
import type { ObjectStore } from '../../shared/ports.js';
import type { ModelCatalog } from './deps.js';
import { isDataUri, parseDataUri } from './images/data-uri.js';
import { sniffImage, type ImageInfo } from '../../shared/image-sniff.js';
import { DEFAULT_LIMITS as L } from './limits.js';
import { FINAL_WEBHOOK_EVENTS, randomSeed } from './request-defaults.js';
import type { ContentPart, JobRequest } from './schemas/job-request.js';
import { checkClientUrl } from './url-policy.js';

export interface InputImage {
  /** Position among the request's stored images: the n of inputs/{tenant}/{job}/{n}.{ext}. */
  index: number;
  bytes: Uint8Array;
  info: ImageInfo;
}

export type PreparedPart = { type: 'text'; text: string } | { type: 'image'; image: InputImage } | { type: 'image_url'; url: string };

export interface PreparedJob {
  model: string;
  messages: { role: Role; content: PreparedPart[] }[];
  images: InputImage[];
  output: JobOutputSpec;
  params: JobParams;
  webhook: WebhookSpec | null;
  metadata: Record<string, string>;
}

export interface PrepareContext {
  tenant: string;
  models: ModelCatalog;
  objects: ObjectStore;
  allowLoopbackHttp: boolean;
}

function checkedImage(bytes: Uint8Array, param: string): ImageInfo {
  const sniffed = sniffImage(bytes);
  if (!sniffed.ok) {
    const code = sniffed.reason === 'unsupported' ? 'unsupported_image_format' : 'invalid_image';
    throw invalidRequest(code, `${param}: ${sniffed.message}`, param);
  }
  // The same check (and words) as the worker's for images fetched by URL.
  const tooLarge = imageDimensionsProblem(sniffed.image.width, sniffed.image.height, L);
  if (tooLarge !== null) throw invalidRequest('image_too_large', `${param}: ${tooLarge}`, param);
  return sniffed.image;
}

async function loadUpload(reference: string, param: string, ctx: PrepareContext): Promise<Uint8Array> {
  const id = reference.slice('upload:'.length);
  if (!isId('upl', id)) throw invalidRequest('invalid_upload_reference', `${param}: expected upload:upl_...`, param);
  const key = uploadKey(ctx.tenant, id);
  const head = await ctx.objects.head(key);
  // Another tenant's upload lives under another prefix, so it is "not found" here too.
  if (head === null) throw invalidRequest('upload_not_found', `${param}: upload ${id} has not been uploaded`, param);
  if (head.size > L.maxImageBytes) throw invalidRequest('image_too_large', `${param}: image is larger than ${L.maxImageBytes} bytes`, param);
  const bytes = await ctx.objects.get(key);
  if (bytes === null) throw invalidRequest('upload_not_found', `${param}: upload ${id} has not been uploaded`, param);
  return bytes;
}

async function preparePart(part: ContentPart, param: string, ctx: PrepareContext, next: () => number): Promise<PreparedPart> {
  if (part.type === 'text') return { type: 'text', text: part.text };
  const url = part.image_url.url;
  const urlParam = `${param}.image_url.url`;
  if (isDataUri(url)) {
    const decoded = parseDataUri(url, L.maxImageBytes);
    if (!decoded.ok) throw invalidRequest(decoded.code, `${urlParam}: ${decoded.message}`, urlParam);
    const index = next();
    return { type: 'image', image: { index, bytes: decoded.bytes, info: checkedImage(decoded.bytes, urlParam) } };
  }
  if (url.startsWith('upload:')) {
    const index = next();
    const bytes = await loadUpload(url, urlParam, ctx);
    return { type: 'image', image: { index, bytes, info: checkedImage(bytes, urlParam) } };
  }
  if (url.length > L.maxUrlChars) throw invalidRequest('invalid_image_url', `${urlParam}: URL is longer than ${L.maxUrlChars} characters`, urlParam);
  const verdict = checkClientUrl(url, ctx.allowLoopbackHttp);
  if (!verdict.ok) throw invalidRequest('invalid_image_url', `${urlParam}: ${verdict.message}`, urlParam);
  return { type: 'image_url', url: verdict.url };
}

export async function prepareJob(request: JobRequest, ctx: PrepareContext): Promise<PreparedJob> {
  if (!ctx.models.list().some((m) => m.name === request.model)) {
    throw invalidRequest('model_not_found', `model ${JSON.stringify(request.model)} does not exist; see GET /v1/models`, 'model');
  }
  let imageParts = 0;
  request.messages.forEach((message, m) => {
    if (typeof message.content === 'string') return;
    message.content.forEach((part, p) => {
      if (part.type !== 'image_url') return;
      imageParts += 1;
      if (imageParts > L.maxImages) {
        throw invalidRequest('too_many_images', `at most ${L.maxImages} images per request`, `messages[${m}].content[${p}]`);
      }
    });
  });

  let webhook: WebhookSpec | null = null;
  if (request.webhook) {
    const verdict = checkClientUrl(request.webhook.url, ctx.allowLoopbackHttp);
    if (!verdict.ok) throw invalidRequest('invalid_webhook_url', `webhook.url: ${verdict.message}`, 'webhook.url');
    webhook = { url: verdict.url, events: [...new Set(request.webhook.events ?? FINAL_WEBHOOK_EVENTS)] };
  }

  let counter = 0;
  const next = (): number => counter++;
  const messages = await Promise.all(
    request.messages.map(async (message, m) => {
      const parts: ContentPart[] = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
      // Indices are taken in request order before any await, so image n is the n-th image of the request.
      const pending = parts.map((part, p) => preparePart(part, `messages[${m}].content[${p}]`, ctx, next));
      return { role: message.role, content: await Promise.all(pending) };
    }),
  );
  const images = messages.flatMap((m) => m.content.flatMap((p) => (p.type === 'image' ? [p.image] : [])));

  const params = request.params ?? {};
  return {
    model: request.model,
    messages,
    images,
    output: { modalities: request.output?.modalities ?? null, format: request.output?.format ?? 'png', n: request.output?.n ?? 1 },
    params: {
      seed: params.seed ?? randomSeed(),
      ...(params.steps === undefined ? {} : { steps: params.steps }),
      ...(params.guidance === undefined ? {} : { guidance: params.guidance }),
      temperature: params.temperature ?? 0,
      topP: params.top_p ?? 1,
      maxTokens: params.max_tokens ?? 64,
    },
    webhook,
    metadata: request.metadata ?? {},
  };
}
