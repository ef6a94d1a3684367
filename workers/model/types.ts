// The runtime's public types: what the worker, the CLI and the eval hand to the model and get back.
// Owned by workers/model; the worker (workers/gpu) depends only on these and on `loadModel`.

export type ChatRole = 'system' | 'user' | 'assistant';

/** A conversation as the runtime sees it: images already fetched and decoded to bytes. */
export type ModelPart = { type: 'text'; text: string } | { type: 'image'; data: Uint8Array };

export interface ModelMessage {
  role: ChatRole;
  content: ModelPart[];
}

export interface ModelRequest {
  messages: ModelMessage[];
  /** null: the model decides (emits <boi> to draw). ['image'] forces an image, ['text'] forbids one. */
  modalities: ('text' | 'image')[] | null;
  format: 'png' | 'jpeg' | 'webp';
  seed: number;
  /** Diffusion steps and guidance; undefined → bundle defaults (generation vs editing). */
  steps?: number;
  guidance?: number;
  temperature: number;
  topP: number;
  maxTokens: number;
}

export interface ModelImage {
  data: Uint8Array;
  mediaType: 'image/png' | 'image/jpeg' | 'image/webp';
  width: number;
  height: number;
  sha256: string;
  seed: number;
}

export interface ModelResult {
  text: string;
  images: ModelImage[];
  inputTokens: number;
  outputTokens: number;
  computeMs: number;
}

export interface ModelProgress {
  /** Index of the request inside the batch. */
  index: number;
  stage: 'encode' | 'text' | 'image_tokens' | 'diffusion' | 'encode_output';
  step: number;
  total: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ModelProgress) => void;
  /** Streams text tokens as they are decoded. */
  onToken?: (index: number, text: string) => void;
}

export interface LoadedModel {
  readonly name: string;
  readonly version: string;
  /** Runs compatible requests together: one session call per stage for the whole batch. */
  runBatch(requests: ModelRequest[], options?: RunOptions): Promise<ModelResult[]>;
  run(request: ModelRequest, options?: RunOptions): Promise<ModelResult>;
  close(): Promise<void>;
}

export interface LoadModelOptions {
  /** Execution providers in order, e.g. ['cuda', 'cpu']. A requested provider that cannot load fails the load. */
  executionProviders: ('cuda' | 'cpu')[];
  intraOpThreads?: number;
  /** false stops idle intra-op threads from spinning: better on shared or oversubscribed CPUs. Default: ORT's (spin). */
  allowSpinning?: boolean;
  /**
   * Rows (requests × 2 with guidance) per diffusion-decoder call. Unset: the whole batch in one call.
   * Measured on a 2-core CPU with nexus-mini's grid decoder, the cost per row falls from 1 to 8 rows per call
   * and is flat to 32 (bench:model prints the table), so unset suits CPUs too; a split is for other decoders.
   */
  decoderMaxRows?: number;
  verifyChecksums?: boolean;
}
