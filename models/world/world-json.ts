// DIR/world.json: the world's constants and the tokenizer's special ids, for the trainer and the bundle.
import { specialTokenIds, type TokenizerJson } from './build-tokenizer.js';
import {
  BACKGROUNDS,
  CELL_CENTRES,
  CHAT_TEMPLATE,
  COLOURS,
  COLOUR_THRESHOLD,
  IMAGE_SIZE,
  IMAGE_TOKENS,
  JITTER_PX,
  MIN_COMPONENT_PX,
  PALETTE,
  POSITIONS,
  SHAPES,
  SIZES,
  SIZE_PX,
} from './config.js';

export interface WorldDescriptionInput {
  seed: number;
  n: number;
  split: string;
  mix: Record<string, number>;
  counts: Record<string, number>;
  images: number;
  maxLength: number;
  tokenizer: TokenizerJson;
}

export function worldDescription(input: WorldDescriptionInput): Record<string, unknown> {
  const vocab = Object.entries(input.tokenizer.model.vocab)
    .sort((a, b) => a[1] - b[1])
    .map(([token]) => token);
  return {
    format: 1,
    size: IMAGE_SIZE,
    channels: 3,
    image_tokens: IMAGE_TOKENS,
    image_grid: [4, 4],
    shapes: SHAPES,
    sizes: SIZES,
    size_px: SIZE_PX,
    colours: COLOURS,
    palette: PALETTE,
    backgrounds: BACKGROUNDS,
    positions: POSITIONS,
    cell_centres: CELL_CENTRES,
    jitter_px: JITTER_PX,
    colour_threshold: COLOUR_THRESHOLD,
    min_component_px: MIN_COMPONENT_PX,
    vocab_size: vocab.length,
    vocab,
    special_tokens: specialTokenIds(),
    chat_template: CHAT_TEMPLATE,
    dataset: {
      split: input.split,
      seed: input.seed,
      n: input.n,
      mix: input.mix,
      counts: input.counts,
      images: input.images,
      max_length: input.maxLength,
    },
  };
}
