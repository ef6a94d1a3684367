// Builds tokenizer.json (Hugging Face tokenizers format): a WordLevel model over the world's closed vocabulary.
// Run directly to write one: `tsx models/world/build-tokenizer.ts OUT.json`.
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { IMAGE_TOKENS, SPECIAL_TOKEN_NAMES, prefillTokenName } from './config.js';
import { PRE_TOKENIZER_PATTERN, worldVocabulary } from './vocab.js';

export interface SpecialTokenIds {
  pad: number;
  unk: number;
  im_start: number;
  im_end: number;
  boi: number;
  eoi: number;
  image_pad: number;
  /** Id of <|prefill_0|>; slot k is prefill + k. */
  prefill: number;
}

/** Special tokens first, prefill slots consecutive, then the words: ids depend only on the vocabulary. */
export function specialTokenOrder(imageTokens: number = IMAGE_TOKENS): string[] {
  const n = SPECIAL_TOKEN_NAMES;
  const prefill = Array.from({ length: imageTokens }, (_, k) => prefillTokenName(k));
  return [n.pad, n.unk, n.im_start, n.im_end, n.boi, n.eoi, n.image_pad, ...prefill];
}

export function specialTokenIds(imageTokens: number = IMAGE_TOKENS): SpecialTokenIds {
  const order = specialTokenOrder(imageTokens);
  const id = (name: string): number => order.indexOf(name);
  const n = SPECIAL_TOKEN_NAMES;
  return {
    pad: id(n.pad),
    unk: id(n.unk),
    im_start: id(n.im_start),
    im_end: id(n.im_end),
    boi: id(n.boi),
    eoi: id(n.eoi),
    image_pad: id(n.image_pad),
    prefill: id(prefillTokenName(0)),
  };
}

export interface TokenizerJson {
  version: string;
  truncation: null;
  padding: null;
  added_tokens: { id: number; content: string; single_word: boolean; lstrip: boolean; rstrip: boolean; normalized: boolean; special: boolean }[];
  normalizer: { type: 'Lowercase' };
  pre_tokenizer: { type: 'Split'; pattern: { Regex: string }; behavior: 'Removed'; invert: boolean };
  post_processor: null;
  decoder: null;
  model: { type: 'WordLevel'; vocab: Record<string, number>; unk_token: string };
}

export function buildTokenizerJson(words: readonly string[] = worldVocabulary(), imageTokens: number = IMAGE_TOKENS): TokenizerJson {
  const specials = specialTokenOrder(imageTokens);
  const vocab: Record<string, number> = {};
  [...specials, ...words].forEach((token, id) => {
    if (token in vocab) throw new Error(`duplicate token ${JSON.stringify(token)}`);
    vocab[token] = id;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    // Lowercase so "Make"/"make" share one trained embedding; replies decode in lower case.
    normalizer: { type: 'Lowercase' },
    // invert: the pattern matches the pieces to keep; whitespace other than "\n" is dropped.
    pre_tokenizer: { type: 'Split', pattern: { Regex: PRE_TOKENIZER_PATTERN }, behavior: 'Removed', invert: true },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: SPECIAL_TOKEN_NAMES.unk },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = process.argv[2] ?? 'tokenizer.json';
  await writeFile(out, `${JSON.stringify(buildTokenizerJson(), null, 2)}\n`);
  console.log(`wrote ${out}`);
}
