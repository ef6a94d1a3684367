import { describe, expect, it } from 'vitest';
import { buildTokenizerJson } from '../../models/world/build-tokenizer.js';
import { createTokenizer } from './tokenizer.js';

const json = buildTokenizerJson();
const tokenizer = createTokenizer(json);
const id = (token: string): number => {
  const value = tokenizer.tokenToId(token);
  if (value === undefined) throw new Error(`no token ${token}`);
  return value;
};

describe('word-level tokenizer over the world vocabulary', () => {
  it('puts special tokens first, with consecutive prefill slots', () => {
    expect(['<|pad|>', '<|unk|>', '<|im_start|>', '<|im_end|>', '<|vision_start|>', '<|vision_end|>', '<|image_pad|>'].map(id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from({ length: 16 }, (_, k) => id(`<|prefill_${k}|>`))).toEqual(Array.from({ length: 16 }, (_, k) => 7 + k));
    expect(tokenizer.vocabSize).toBe(Object.keys(json.model.vocab).length);
  });

  it('splits words and punctuation, lowercases, and keeps "\\n" as a token', () => {
    const ids = tokenizer.encode('What colour is the circle?\nRed, BLUE.');
    expect(ids).toEqual(['what', 'colour', 'is', 'the', 'circle', '?', '\n', 'red', ',', 'blue', '.'].map(id));
  });

  it('matches special tokens inside text without spaces around them', () => {
    expect(tokenizer.encode('<|im_start|>user\nimage:<|vision_start|><|image_pad|><|vision_end|><|im_end|>')).toEqual([
      2,
      id('user'),
      id('\n'),
      id('image'),
      id(':'),
      4,
      6,
      5,
      3,
    ]);
  });

  it('maps words outside the closed vocabulary to <|unk|>', () => {
    expect(tokenizer.encode('a zebra')).toEqual([id('a'), 1]);
  });

  it('round-trips the sentences the world speaks', () => {
    for (const text of [
      'a large red circle in the top left and a small blue square in the center',
      'here is the image:',
      'what colour is the circle?',
      'a large red circle, a small blue square and a large green triangle',
      'make the triangle on the left yellow.',
      '3',
    ]) {
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
    }
    expect(tokenizer.decode(tokenizer.encode('Where is the red shape?'))).toBe('where is the red shape?');
    expect(tokenizer.decode(tokenizer.encode('first\nsecond line'))).toBe('<|unk|>\n<|unk|> line');
  });

  it('drops special tokens on request and decodes an empty list to ""', () => {
    const ids = tokenizer.encode('<|im_start|>assistant\nred<|im_end|>');
    expect(tokenizer.decode(ids)).toBe('<|im_start|> assistant\nred <|im_end|>');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('assistant\nred');
    expect(tokenizer.decode([])).toBe('');
    expect(tokenizer.encode('')).toEqual([]);
  });

  it('loads from the JSON text as well as the parsed object', () => {
    expect(createTokenizer(JSON.stringify(json)).encode('red circle')).toEqual(tokenizer.encode('red circle'));
  });
});
