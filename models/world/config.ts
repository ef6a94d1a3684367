// The shapes world's constants, in one place: the renderer, the scorer, the dataset writer (world.json)
// and the trainer all read these, so changing one here changes the whole pipeline consistently.

export const IMAGE_SIZE = 64;
/** N: image tokens per image (encoder output, prefill slots), a 4×4 grid. */
export const IMAGE_TOKENS = 16;

export const SHAPES = ['circle', 'square', 'triangle'] as const;
export type ShapeKind = (typeof SHAPES)[number];

export const SIZES = ['small', 'large'] as const;
export type SizeClass = (typeof SIZES)[number];

/**
 * Side of a shape's bounding box in pixels. Large is 16 rather than 18 so that two large shapes in adjacent
 * cells, jittered towards each other, still leave a background pixel between them (cells are 21 px apart).
 */
export const SIZE_PX: Record<SizeClass, number> = { small: 10, large: 16 };
/** Bounding-box side that separates small from large when scoring. */
export const SIZE_SPLIT_PX = 13;
export const JITTER_PX = 2;

export const GRID = 3;
export const CELL_PX = IMAGE_SIZE / GRID;
/** Cell centres along one axis. */
export const CELL_CENTRES = [11, 32, 53] as const;

/** Row-major cell names; index = row * 3 + col. */
export const POSITIONS = ['top left', 'top', 'top right', 'left', 'center', 'right', 'bottom left', 'bottom', 'bottom right'] as const;
export type PositionName = (typeof POSITIONS)[number];
/** The preposition each position takes in captions: "at the top", "on the left", "in the center". */
export const POSITION_PREPOSITION: Record<PositionName, string> = {
  'top left': 'in the top left',
  top: 'at the top',
  'top right': 'in the top right',
  left: 'on the left',
  center: 'in the center',
  right: 'on the right',
  'bottom left': 'in the bottom left',
  bottom: 'at the bottom',
  'bottom right': 'in the bottom right',
};

export const COLOURS = ['red', 'green', 'blue', 'yellow', 'purple', 'orange'] as const;
export type ColourName = (typeof COLOURS)[number];
export type Rgb = readonly [number, number, number];

/** Pure, well separated colours: every pair is more than 100 apart (Euclidean RGB). */
export const PALETTE: Record<ColourName, Rgb> = {
  red: [230, 30, 30],
  green: [30, 190, 50],
  blue: [40, 70, 230],
  yellow: [245, 235, 35],
  purple: [150, 50, 200],
  orange: [250, 130, 20],
};

/** Dark neutral backgrounds, each more than 135 from every palette colour. */
export const BACKGROUNDS: readonly Rgb[] = [
  [16, 16, 16],
  [28, 28, 28],
  [40, 40, 40],
  [52, 52, 52],
  [24, 26, 36],
  [40, 34, 28],
];

/** A pixel within this distance of its nearest palette colour counts as that colour; else background. */
export const COLOUR_THRESHOLD = 95;
/** Connected components smaller than this are specks (noise, decoder artefacts), not shapes. */
export const MIN_COMPONENT_PX = 15;

export const MAX_SHAPES = 3;

export const SYSTEM_PROMPT = 'You are a helpful assistant.';

/** The chat template the dataset is rendered with; the bundle's manifest.json carries the same strings. */
export const CHAT_TEMPLATE = {
  default_system: SYSTEM_PROMPT,
  turn_prefix: '<|im_start|>{role}\n',
  turn_suffix: '<|im_end|>\n',
  image: '<|vision_start|>{image}<|vision_end|>',
  generation_prompt: '<|im_start|>assistant\n',
} as const;

export const SPECIAL_TOKEN_NAMES = {
  pad: '<|pad|>',
  unk: '<|unk|>',
  im_start: '<|im_start|>',
  im_end: '<|im_end|>',
  boi: '<|vision_start|>',
  eoi: '<|vision_end|>',
  image_pad: '<|image_pad|>',
} as const;

export function prefillTokenName(k: number): string {
  return `<|prefill_${k}|>`;
}
