// Renders a conversation to token ids with the bundle's chat template (models/BUNDLE.md "Sequences").
// The dataset writer and the runtime both call this, so a training sequence and a serving prompt for the
// same conversation are the same ids.
import type { ChatRole } from './types.js';

/** The manifest's `chat_template` block, as parsed. */
export interface ChatTemplate {
  default_system: string;
  /** Contains `{role}`. */
  turn_prefix: string;
  turn_suffix: string;
  /** Contains `{image}`, where the N image slots go. */
  image: string;
  generation_prompt: string;
}

/** The manifest's special token ids this renderer needs. */
export interface ChatTemplateTokens {
  image_pad: number;
  /** Id of `<|prefill_0|>`; slot k is prefill + k. */
  prefill: number;
}

export type ChatPart = { type: 'text'; text: string } | { type: 'image' };
export interface ChatMessage {
  role: ChatRole;
  content: string | readonly ChatPart[];
}

export interface ImageSpan {
  start: number;
  length: number;
  /** Index of the image among all image parts, in order. */
  image: number;
  /** input: slots take the encoder's features; output: prefill slots whose hidden states predict the image. */
  kind: 'input' | 'output';
}

export interface RenderedChat {
  inputIds: number[];
  imageSpans: ImageSpan[];
  /** First token of the final assistant reply (the training target); null when rendering a prompt. */
  lossStart: number | null;
}

export interface RenderOptions {
  /** Append the generation prompt so the model writes the next assistant turn (serving). */
  addGenerationPrompt?: boolean;
}

export interface ChatTemplateRenderer {
  render(messages: readonly ChatMessage[], options?: RenderOptions): RenderedChat;
}

export interface ChatTemplateOptions {
  template: ChatTemplate;
  specialTokens: ChatTemplateTokens;
  /** N: slots per image. */
  imageTokens: number;
  tokenizer: { encode(text: string): number[] };
}

function splitOnce(text: string, marker: string, what: string): [string, string] {
  const at = text.indexOf(marker);
  if (at < 0 || text.indexOf(marker, at + marker.length) >= 0) {
    throw new Error(`chat template ${what} must contain ${marker} exactly once: ${JSON.stringify(text)}`);
  }
  return [text.slice(0, at), text.slice(at + marker.length)];
}

export function createChatTemplate(options: ChatTemplateOptions): ChatTemplateRenderer {
  const { template, specialTokens, imageTokens, tokenizer } = options;
  const [before, after] = splitOnce(template.image, '{image}', 'image');
  const imageBefore = tokenizer.encode(before);
  const imageAfter = tokenizer.encode(after);
  splitOnce(template.turn_prefix, '{role}', 'turn_prefix');
  const turnPrefix = new Map<ChatRole, number[]>();
  const prefixOf = (role: ChatRole): number[] => {
    let ids = turnPrefix.get(role);
    if (ids === undefined) {
      ids = tokenizer.encode(template.turn_prefix.replace('{role}', role));
      turnPrefix.set(role, ids);
    }
    return ids;
  };
  const turnSuffix = tokenizer.encode(template.turn_suffix);
  const generationPrompt = tokenizer.encode(template.generation_prompt);
  const padSlots = new Array<number>(imageTokens).fill(specialTokens.image_pad);
  const prefillSlots = Array.from({ length: imageTokens }, (_, k) => specialTokens.prefill + k);

  return {
    render(messages, renderOptions = {}) {
      const addGenerationPrompt = renderOptions.addGenerationPrompt ?? false;
      const conversation: readonly ChatMessage[] =
        messages[0]?.role === 'system' || template.default_system === '' ? messages : [{ role: 'system', content: template.default_system }, ...messages];
      const last = conversation.length - 1;
      const targetIndex = !addGenerationPrompt && conversation[last]?.role === 'assistant' ? last : -1;
      const ids: number[] = [];
      const imageSpans: ImageSpan[] = [];
      let lossStart: number | null = null;
      let imageIndex = 0;
      conversation.forEach((message, m) => {
        ids.push(...prefixOf(message.role));
        const isTarget = m === targetIndex;
        if (isTarget) lossStart = ids.length;
        const parts: readonly ChatPart[] = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
        for (const part of parts) {
          if (part.type === 'text') {
            ids.push(...tokenizer.encode(part.text));
            continue;
          }
          ids.push(...imageBefore);
          const kind = isTarget ? 'output' : 'input';
          imageSpans.push({ start: ids.length, length: imageTokens, image: imageIndex++, kind });
          ids.push(...(kind === 'output' ? prefillSlots : padSlots));
          ids.push(...imageAfter);
        }
        ids.push(...turnSuffix);
      });
      if (addGenerationPrompt) ids.push(...generationPrompt);
      return { inputIds: ids, imageSpans, lossStart };
    },
  };
}
