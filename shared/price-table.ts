// The price list: one entry per model, one version for the whole table. A job is priced with the table in
// force when it finishes (the version is stored on its usage), so a new version never re-prices old jobs.
// Amounts are integer micro-dollars (1 USD = 1,000,000). README "Billing" shows this table to customers.

export interface ImageTier {
  /** Output images with at most this many pixels (width × height) are priced at this tier. */
  maxPixels: number;
  perImageMicros: number;
  perStepMicros: number;
}

export interface ModelPrice {
  /** Ascending by maxPixels; an image larger than the last tier is priced at the last tier. */
  imageTiers: ImageTier[];
  /** Diffusion steps a job runs when it does not ask for any: the bundle's default (pinned to the manifest by a test). */
  defaultSteps: number;
  /** Output size when the request cannot say (estimates): the model's only output size today. */
  defaultPixels: number;
  inputTokensPer1kMicros: number;
  outputTokensPer1kMicros: number;
  /**
   * Upper bound on the input tokens of a conversation, for estimates (the API has no tokenizer): per
   * conversation (the default system prompt and the reply's opening), per message (role markers), per input
   * image (its embedding positions and markers), per text character.
   */
  inputTokenBound: { perConversation: number; perMessage: number; perImage: number; perTextChar: number };
}

export interface PriceTable {
  version: string;
  models: Record<string, ModelPrice>;
}

export const PRICE_TABLE: PriceTable = {
  version: '2026-12-01',
  models: {
    'nexus-mini': {
      imageTiers: [{ maxPixels: 64 * 64, perImageMicros: 2_000, perStepMicros: 100 }],
      defaultSteps: 10,
      defaultPixels: 64 * 64,
      inputTokensPer1kMicros: 100,
      outputTokensPer1kMicros: 400,
      // nexus-mini, measured with the runtime: "a" alone reads 20 tokens (the default system prompt and the
      // template), an image 18 (16 positions and its markers); the word-level tokenizer never makes more tokens
      // than characters. workers/gpu/worker.test.ts checks a real job against its estimate.
      inputTokenBound: { perConversation: 20, perMessage: 4, perImage: 18, perTextChar: 1 },
    },
  },
};
