import { describe, expect, it } from 'vitest';
import { buildTokenizerJson, specialTokenIds } from '../../models/world/build-tokenizer.js';
import { CHAT_TEMPLATE } from '../../models/world/config.js';
import { createChatTemplate, type ChatMessage } from './chat-template.js';
import { createTokenizer } from './tokenizer.js';

const tokenizer = createTokenizer(buildTokenizerJson());
const special = specialTokenIds();
const chat = createChatTemplate({ template: CHAT_TEMPLATE, specialTokens: special, imageTokens: 16, tokenizer });
const ids = (...tokens: string[]): number[] =>
  tokens.map((t) => {
    const id = tokenizer.tokenToId(t);
    if (id === undefined) throw new Error(`no token ${t}`);
    return id;
  });
const pads = new Array<number>(16).fill(6);
const prefill = Array.from({ length: 16 }, (_, k) => 7 + k);

const editing: ChatMessage[] = [
  { role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'Make the circle blue.' }] },
  { role: 'assistant', content: [{ type: 'text', text: 'Here is the image:' }, { type: 'image' }] },
];
const system = [2, ...ids('system', '\n', 'you', 'are', 'a', 'helpful', 'assistant', '.'), 3, ...ids('\n')];

describe('chat template', () => {
  it('renders an editing conversation to exact ids, with input and output image spans and loss_start', () => {
    const rendered = chat.render(editing);
    const user = [2, ...ids('user', '\n'), 4, ...pads, 5, ...ids('make', 'the', 'circle', 'blue', '.'), 3, ...ids('\n')];
    const assistantPrefix = [2, ...ids('assistant', '\n')];
    const reply = [...ids('here', 'is', 'the', 'image', ':'), 4, ...prefill, 5, 3, ...ids('\n')];
    expect(rendered.inputIds).toEqual([...system, ...user, ...assistantPrefix, ...reply]);
    expect(rendered.inputIds.slice(0, 12)).toEqual([2, 107, 23, 121, 43, 38, 67, 44, 25, 3, 23, 2]);
    expect(rendered.imageSpans).toEqual([
      { start: system.length + 4, length: 16, image: 0, kind: 'input' },
      { start: system.length + user.length + assistantPrefix.length + 6, length: 16, image: 1, kind: 'output' },
    ]);
    expect(rendered.lossStart).toBe(system.length + user.length + assistantPrefix.length);
  });

  it('renders a serving prompt: earlier assistant images become input slots and the generation prompt is appended', () => {
    const prompt = chat.render([...editing, { role: 'user', content: 'What colour is the circle?' }], { addGenerationPrompt: true });
    expect(prompt.imageSpans.map((s) => s.kind)).toEqual(['input', 'input']);
    expect(prompt.lossStart).toBeNull();
    expect(prompt.inputIds.slice(-12)).toEqual(
      [2, ...ids('user', '\n', 'what', 'colour', 'is', 'the', 'circle', '?'), 3, ...ids('\n'), 2, ...ids('assistant', '\n')].slice(-12),
    );
    const training = chat.render([...editing, { role: 'user', content: 'What colour is the circle?' }, { role: 'assistant', content: 'blue' }]);
    expect(prompt.inputIds).toEqual(training.inputIds.slice(0, prompt.inputIds.length));
    expect(training.inputIds.slice(training.lossStart ?? 0)).toEqual([...ids('blue'), 3, ...ids('\n')]);
  });

  it('keeps a given system turn instead of the default', () => {
    const rendered = chat.render(
      [
        { role: 'system', content: 'Describe the image.' },
        { role: 'user', content: 'red' },
      ],
      { addGenerationPrompt: true },
    );
    expect(rendered.inputIds).toEqual([
      2,
      ...ids('system', '\n', 'describe', 'the', 'image', '.'),
      3,
      ...ids('\n'),
      2,
      ...ids('user', '\n', 'red'),
      3,
      ...ids('\n'),
      2,
      ...ids('assistant', '\n'),
    ]);
  });

  it('follows the template strings it is given rather than built-in ones', () => {
    const other = createChatTemplate({
      template: {
        default_system: '',
        turn_prefix: '<|im_start|>{role}:',
        turn_suffix: '<|im_end|>',
        image: '<|vision_start|>{image}',
        generation_prompt: '<|im_start|>assistant:',
      },
      specialTokens: { image_pad: 6, prefill: 7 },
      imageTokens: 4,
      tokenizer,
    });
    const rendered = other.render([{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: 'red' }] }], { addGenerationPrompt: true });
    expect(rendered.inputIds).toEqual([2, ...ids('user', ':'), 4, 6, 6, 6, 6, ...ids('red'), 3, 2, ...ids('assistant', ':')]);
    expect(rendered.imageSpans).toEqual([{ start: 4, length: 4, image: 0, kind: 'input' }]);
    expect(() => createChatTemplate({ template: { ...CHAT_TEMPLATE, image: '<|vision_start|>' }, specialTokens: special, imageTokens: 16, tokenizer })).toThrow(
      /\{image\}/,
    );
  });
});
