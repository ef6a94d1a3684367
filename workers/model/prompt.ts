// A conversation → prompt token ids + the places where image features go. The chat template and the
// tokenizer (shared with the dataset writer, so training = serving) do the rendering; this file gathers the
// images in span order and encodes them with the vision encoder in one call for a whole batch.
import * as ort from 'onnxruntime-node';
import { LAST_MESSAGE_RULE } from '../../shared/job.js';
import { ModelError } from './errors.js';
import type { Manifest } from './manifest.js';
import { floatData, runSession, type StageSession } from './sessions.js';
import type { ModelMessage } from './types.js';
import { decodeToRgb, rgbToPixelValues } from './vision.js';

export interface ImageSpan {
  start: number;
  length: number;
  /** Index into the conversation's images, in order of appearance. */
  image: number;
  kind: 'input' | 'output';
}

export interface RenderedConversation {
  inputIds: number[];
  imageSpans: ImageSpan[];
}

/** Renders a conversation with the generation prompt appended (the model's turn comes next). */
export type RenderConversation = (messages: readonly ModelMessage[]) => RenderedConversation;

export interface PreparedPrompt {
  promptIds: number[];
  /** Input spans with the image (bytes) each one shows; earlier assistant images are re-encoded from pixels. */
  spans: { start: number; image: Uint8Array }[];
  /** The conversation's most recent image: the source an edit starts from. */
  lastImage: Uint8Array | null;
}

export function preparePrompt(render: RenderConversation, messages: readonly ModelMessage[], imageTokens: number): PreparedPrompt {
  if (messages.length === 0) throw new ModelError('invalid_request', 'the conversation has no messages');
  // The model writes the next assistant turn, in answer to the last user turn: a conversation that ends with an
  // assistant (or system) message has nothing to answer, and the model was never trained on two replies in a row.
  if (messages[messages.length - 1]?.role !== 'user') throw new ModelError('invalid_request', LAST_MESSAGE_RULE);
  const images: Uint8Array[] = [];
  for (const m of messages) for (const part of m.content) if (part.type === 'image') images.push(part.data);
  const rendered = render(messages);
  const spans = rendered.imageSpans.map((span) => {
    const image = images[span.image];
    if (span.kind !== 'input' || span.length !== imageTokens || image === undefined) {
      throw new ModelError('invalid_request', `the chat template produced an unusable image span at ${span.start}`);
    }
    return { start: span.start, image };
  });
  return { promptIds: rendered.inputIds, spans, lastImage: images[images.length - 1] ?? null };
}

/** Encodes images (any count, any size) to [N × D] features each, with one vision-encoder call. */
export async function encodeImages(encoder: StageSession, manifest: Manifest, images: readonly Uint8Array[]): Promise<Float32Array[]> {
  if (images.length === 0) return [];
  const size = manifest.image.size;
  const plane = 3 * size * size;
  const pixels = new Float32Array(images.length * plane);
  const decoded = await Promise.all(images.map((data) => decodeToRgb(data, size)));
  decoded.forEach((rgb, i) => rgbToPixelValues(rgb, size, { size, pixelRange: manifest.image.pixel_range }, pixels, i * plane));
  const out = await runSession(encoder, { pixel_values: new ort.Tensor('float32', pixels, [images.length, 3, size, size]) });
  const embeds = floatData(out['image_embeds'], 'image_embeds');
  const per = manifest.image_tokens * manifest.embed_dim;
  if (embeds.length !== per * images.length) {
    throw new ModelError('session_failed', `vision_encoder returned ${embeds.length} values, expected ${per * images.length}`);
  }
  return images.map((_, i) => embeds.slice(i * per, (i + 1) * per));
}
