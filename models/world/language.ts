// Every sentence the world says, as templates over a closed vocabulary: vocab.ts derives the tokenizer's
// word list from these same strings, so a phrasing added here can never produce an unknown token.
import { POSITION_PREPOSITION, type ColourName, type ShapeKind, type SizeClass } from './config.js';
import { positionOf, sortedShapes, type Scene, type SceneShape } from './scene.js';
import type { Rng } from './rng.js';

export const GENERATION_PROMPTS = [
  'Generate an image according to the following description: {caption}',
  'Generate an image of {caption}.',
  'Draw {caption}.',
  'Create an image of {caption}.',
  'Please draw {caption}.',
  'Show me {caption}.',
] as const;
export const GENERATION_REPLY = 'Here is an image based on the description:';
export const EDIT_REPLY = 'Here is the image:';

export const EDIT_TEMPLATES = {
  colour: [
    'Make the {ref} {colour}.',
    'Change the colour of the {ref} to {colour}.',
    'Change the color of the {ref} to {colour}.',
    'Turn the {ref} {colour}.',
    'Paint the {ref} {colour}.',
  ],
  move: ['Move the {ref} to the {position}.', 'Place the {ref} {where}.', 'Put the {ref} {where}.'],
  grow: ['Make the {ref} large.', 'Make the {ref} bigger.', 'Make the {ref} larger.', 'Enlarge the {ref}.'],
  shrink: ['Make the {ref} small.', 'Make the {ref} smaller.', 'Shrink the {ref}.'],
  remove: ['Remove the {ref}.', 'Delete the {ref}.', 'Take away the {ref}.', 'Erase the {ref}.'],
  add: ['Add a {size} {colour} {shape} {where}.', 'Put a {size} {colour} {shape} {where}.', 'Draw a {size} {colour} {shape} {where}.'],
  reshape: ['Turn the {ref} into a {shape}.', 'Change the {ref} into a {shape}.'],
} as const;
/** Follow-up turns sometimes open with this, as people do in a conversation. */
export const FOLLOW_UP_PREFIX = 'Now';

export const QUESTION_TEMPLATES = {
  colour: ['What colour is the {ref}?', 'What color is the {ref}?', 'Which colour is the {ref}?'],
  shape: ['What shape is the {ref}?', 'What kind of shape is the {ref}?'],
  shapeAt: ['What shape is {where}?'],
  where: ['Where is the {ref}?', 'In which position is the {ref}?'],
  size: ['Is the {ref} large or small?', 'What size is the {ref}?'],
  count: ['How many shapes are there?', 'How many shapes are in the image?'],
  countColour: ['How many {colour} shapes are there?'],
  countShape: ['How many {shapes} are there?'],
  describe: ['Describe the image in one line.', 'Describe the image.', 'What is in the image?'],
} as const;

export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${template} needs {${key}}`);
    return value;
  });
}

export function whereOf(cell: number): string {
  return POSITION_PREPOSITION[positionOf(cell)];
}

export function shapePhrase(s: { size: SizeClass; colour: ColourName; shape: ShapeKind; cell: number }): string {
  return `a ${s.size} ${s.colour} ${s.shape} ${whereOf(s.cell)}`;
}

export function joinPhrases(phrases: string[]): string {
  if (phrases.length <= 1) return phrases[0] ?? '';
  return `${phrases.slice(0, -1).join(', ')} and ${phrases[phrases.length - 1]}`;
}

/** The canonical one-line description: shapes in reading order. Also the answer to "Describe the image". */
export function describeScene(scene: Scene): string {
  return joinPhrases(sortedShapes(scene).map(shapePhrase));
}

/** A caption for generation prompts: shapes in random order, so the model cannot rely on the order. */
export function randomCaption(rng: Rng, scene: Scene): string {
  return joinPhrases(rng.shuffle(scene.shapes).map(shapePhrase));
}

export type Attribute = 'size' | 'colour' | 'shape' | 'position';
const REF_ATTRIBUTE_SETS: readonly Attribute[][] = [
  ['shape'],
  ['colour'],
  ['colour', 'shape'],
  ['size', 'shape'],
  ['size', 'colour', 'shape'],
  ['position'],
  ['shape', 'position'],
];

function matches(a: SceneShape, b: SceneShape, attrs: readonly Attribute[]): boolean {
  return attrs.every((k) => (k === 'position' ? a.cell === b.cell : a[k] === b[k]));
}

function renderRef(s: SceneShape, attrs: readonly Attribute[]): string {
  const words: string[] = [];
  if (attrs.includes('size')) words.push(s.size);
  if (attrs.includes('colour')) words.push(s.colour);
  words.push(attrs.includes('shape') ? s.shape : 'shape');
  if (attrs.includes('position')) words.push(whereOf(s.cell));
  return words.join(' ');
}

/** Referring expressions that pick out exactly `target` in `scene` without naming any of `exclude`. */
export function uniqueRefs(scene: Scene, target: SceneShape, exclude: readonly Attribute[] = []): string[] {
  return REF_ATTRIBUTE_SETS.filter((attrs) => !attrs.some((a) => exclude.includes(a)))
    .filter((attrs) => scene.shapes.filter((s) => matches(s, target, attrs)).length === 1)
    .map((attrs) => renderRef(target, attrs));
}
