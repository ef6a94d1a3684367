// What a job costs: one pure function of its usage and the model's price (shared/price-table.ts), used by
// the worker when a job succeeds and by the API's estimate. Integer micro-dollars, never negative, and
// monotone in images, steps, pixels and tokens (shared/pricing.property.test.ts).
import { PRICE_TABLE, type ImageTier, type ModelPrice, type PriceTable } from './price-table.js';

export interface Billable {
  images: number;
  /** Pixels of each output image (width × height). */
  pixels: number;
  steps: number;
  inputTokens: number;
  outputTokens: number;
}

export interface PriceQuote {
  costUsdMicros: number;
  priceVersion: string;
}

/** `nexus-mini@1.2.0` and `nexus-mini` share one price. */
export function modelPrice(model: string, table: PriceTable = PRICE_TABLE): ModelPrice | null {
  const name = model.split('@')[0] ?? model;
  return Object.hasOwn(table.models, name) ? (table.models[name] ?? null) : null;
}

function tierFor(price: ModelPrice, pixels: number): ImageTier {
  const tiers = price.imageTiers;
  const last = tiers[tiers.length - 1];
  if (last === undefined) throw new Error('a model price needs at least one image tier');
  return tiers.find((tier) => pixels <= tier.maxPixels) ?? last;
}

/** A token charge rounds up to the next whole micro-dollar: ceil(tokens × rate per 1k / 1000). */
const tokenMicros = (tokens: number, per1k: number): number => Math.ceil((tokens * per1k) / 1000);

export function priceMicros(price: ModelPrice, usage: Billable): number {
  const count = (value: number): number => (Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);
  const images = count(usage.images);
  const tier = tierFor(price, count(usage.pixels));
  const imageMicros = images === 0 ? 0 : images * (tier.perImageMicros + count(usage.steps) * tier.perStepMicros);
  return imageMicros + tokenMicros(count(usage.inputTokens), price.inputTokensPer1kMicros) + tokenMicros(count(usage.outputTokens), price.outputTokensPer1kMicros);
}

export function quote(model: string, usage: Billable, table: PriceTable = PRICE_TABLE): PriceQuote | null {
  const price = modelPrice(model, table);
  return price === null ? null : { costUsdMicros: priceMicros(price, usage), priceVersion: table.version };
}

/** What the API knows of a job before it runs: the shape of the conversation and the requested output. */
export interface JobShape {
  /** Per message: characters of text and number of images. */
  messages: { textChars: number; images: number }[];
  /** Runs of the model: one per requested image (`output.n`). */
  runs: number;
  /** Whether a run may draw a picture (`output.modalities` absent or containing `image`). */
  mayDrawImage: boolean;
  steps: number | undefined;
  maxTokens: number;
}

export interface Estimate extends PriceQuote {
  basis: Billable;
}

/**
 * The most a job of this shape can be billed (the API has no tokenizer): every run draws a picture at the
 * requested steps, decodes `maxTokens`, and reads the conversation at the price table's token bound.
 * Spend checks reserve this figure; the job is later billed its real usage, never more than this.
 */
export function estimateMax(price: ModelPrice, version: string, shape: JobShape): Estimate {
  const bound = price.inputTokenBound;
  const inputPerRun = shape.messages.reduce((sum, m) => sum + bound.perMessage + m.images * bound.perImage + m.textChars * bound.perTextChar, bound.perConversation);
  const basis: Billable = {
    images: shape.mayDrawImage ? shape.runs : 0,
    pixels: price.defaultPixels,
    steps: shape.steps ?? price.defaultSteps,
    inputTokens: shape.runs * inputPerRun,
    outputTokens: shape.runs * shape.maxTokens,
  };
  return { costUsdMicros: priceMicros(price, basis), priceVersion: version, basis };
}
