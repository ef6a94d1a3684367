// The tokenizer: a thin wrapper over @huggingface/tokenizers, loaded from the bundle's tokenizer.json.
// The dataset writer uses this same module, so training ids and serving ids come from one code path.
import { Tokenizer } from '@huggingface/tokenizers';
import { z } from 'zod';

export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** The id of a token, or undefined when the vocabulary lacks it. */
  tokenToId(token: string): number | undefined;
  readonly vocabSize: number;
}

const tokenizerJsonShape = z
  .object({
    // Qwen's byte-level BPE writes unk_token: null (every byte is a token).
    model: z.object({ unk_token: z.string().nullable().optional() }).passthrough(),
    added_tokens: z.array(z.object({ id: z.number().int(), content: z.string() }).passthrough()),
  })
  .passthrough();

export function createTokenizer(json: unknown): TextTokenizer {
  const parsed = tokenizerJsonShape.parse(typeof json === 'string' ? JSON.parse(json) : json);
  const unk = parsed.model.unk_token;
  // The library reads the unknown token of a word-level model from the tokenizer config, not the model.
  const tokenizer = new Tokenizer(parsed, unk === undefined || unk === null ? {} : { unk_token: unk });
  const vocabSize = tokenizer.get_vocab(true).size;
  return {
    vocabSize,
    encode: (text) => (text.length === 0 ? [] : tokenizer.encode(text, { add_special_tokens: false }).ids),
    decode(ids, options) {
      if (ids.length === 0) return '';
      const text = tokenizer.decode([...ids], { skip_special_tokens: options?.skipSpecialTokens ?? false });
      // Word-level tokens are joined with spaces; the library's clean-up handles ".,?!" but not ":" or "\n".
      return text.replace(/ :/g, ':').replace(/ ?\n ?/g, '\n');
    },
    tokenToId: (token) => tokenizer.token_to_id(token),
  };
}
