// The closed vocabulary, derived from the very strings the world speaks (language.ts), so it cannot drift.
import { COLOURS, POSITIONS, POSITION_PREPOSITION, SHAPES, SIZES, SYSTEM_PROMPT } from './config.js';
import { EDIT_REPLY, EDIT_TEMPLATES, FOLLOW_UP_PREFIX, GENERATION_PROMPTS, GENERATION_REPLY, QUESTION_TEMPLATES } from './language.js';

/**
 * Words and punctuation as the tokenizer's pre-tokenizer splits them (after lowercasing): runs of word
 * characters, single punctuation marks, and "\n" kept as its own token.
 */
export const PRE_TOKENIZER_PATTERN = '\\w+|[^\\w\\s]|\\n';

export function splitWords(text: string): string[] {
  return text.toLowerCase().match(new RegExp(PRE_TOKENIZER_PATTERN, 'gu')) ?? [];
}

export const ROLE_WORDS = ['system', 'user', 'assistant'] as const;

function sources(): string[] {
  const templates = [
    ...GENERATION_PROMPTS,
    GENERATION_REPLY,
    EDIT_REPLY,
    FOLLOW_UP_PREFIX,
    SYSTEM_PROMPT,
    ...Object.values(EDIT_TEMPLATES).flat(),
    ...Object.values(QUESTION_TEMPLATES).flat(),
  ].map((t) => t.replace(/\{\w+\}/g, ' '));
  const slots = [
    ...COLOURS,
    ...SHAPES,
    ...SHAPES.map((s) => `${s}s`),
    ...SIZES,
    ...POSITIONS,
    ...Object.values(POSITION_PREPOSITION),
    'a and , \n',
    '0 1 2 3 4 5 6 7 8 9',
    ...ROLE_WORDS,
  ];
  return [...templates, ...slots];
}

/** Sorted, so the ids are a pure function of the word set. */
export function worldVocabulary(): string[] {
  const words = new Set<string>();
  for (const s of sources()) for (const w of splitWords(s)) words.add(w);
  return [...words].sort();
}
