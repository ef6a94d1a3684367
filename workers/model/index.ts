// loadModel: read and verify a bundle folder, create every session once, and hand back the runner the
// worker, the CLI and the eval share.
import { decode, type DecodeOptions } from './autoregressive.js';
import { runBatch, type BatchRunOptions, type RunnerContext } from './batch.js';
import { createChatTemplate } from './chat-template.js';
import { ModelError } from './errors.js';
import { kvLayout } from './kv-cache.js';
import { readBundleFiles, readManifest, type Manifest } from './manifest.js';
import type { RenderConversation } from './prompt.js';
import { runNexusGenBatch, type NexusGenRunner } from './nexus-gen/runner.js';
import { nexusGenOf } from './nexus-gen/stages.js';
import { createSessions, releaseSessions } from './sessions.js';
import { createTokenEmbedder } from './token-embeddings.js';
import { createTokenizer } from './tokenizer.js';
import type { LoadedModel, LoadModelOptions, ModelRequest, ModelResult } from './types.js';

export type { LoadedModel, LoadModelOptions, ModelRequest, ModelResult, ModelMessage, ModelPart, ModelImage, ModelProgress, RunOptions } from './types.js';
export { ModelError } from './errors.js';

/** The loaded model plus what benchmarks and parity tests need beyond the worker's contract. */
export interface RuntimeModel extends LoadedModel {
  readonly manifest: Manifest;
  readonly context: RunnerContext;
  /** runBatch with the image-token stage stepped slot by slot (benchmarks and the error study only). */
  runBatchWith(requests: ModelRequest[], options: BatchRunOptions): Promise<ModelResult[]>;
}

export async function loadModel(bundleDir: string, options: LoadModelOptions): Promise<RuntimeModel> {
  const manifest = await readManifest(bundleDir);
  const files = await readBundleFiles(bundleDir, manifest, options.verifyChecksums ?? true);
  const tokenizerBytes = files.get('tokenizer');
  if (tokenizerBytes === undefined) throw new ModelError('bundle_invalid', 'bundle has no tokenizer.json');
  let tokenizer;
  try {
    tokenizer = createTokenizer(new TextDecoder().decode(tokenizerBytes));
  } catch (cause) {
    throw new ModelError('bundle_invalid', 'tokenizer.json cannot be loaded', { cause });
  }
  const template = createChatTemplate({
    template: manifest.chat_template,
    specialTokens: manifest.special_tokens,
    imageTokens: manifest.image_tokens,
    tokenizer,
  });
  const render: RenderConversation = (messages) =>
    template.render(
      messages.map((m) => ({ role: m.role, content: m.content.map((p) => (p.type === 'text' ? p : { type: 'image' as const })) })),
      { addGenerationPrompt: true },
    );
  const sessions = await createSessions(manifest, files, {
    executionProviders: options.executionProviders,
    ...(options.intraOpThreads === undefined ? {} : { intraOpThreads: options.intraOpThreads }),
    ...(options.allowSpinning === undefined ? {} : { allowSpinning: options.allowSpinning }),
    bundleDir,
  });
  const context: RunnerContext = {
    manifest,
    sessions,
    render,
    tokenizer,
    ...(options.decoderMaxRows === undefined ? {} : { decoderMaxRows: options.decoderMaxRows }),
    decoder: {
      manifest,
      embedder: await createTokenEmbedder(sessions.token_embedding, manifest.hidden_size, [manifest.special_tokens.boi, manifest.special_tokens.eoi]),
      transformer: sessions.transformer,
      kv: kvLayout(sessions.transformer, { heads: manifest.num_heads, headDim: manifest.head_dim }),
    },
  };
  const nexusGen: NexusGenRunner | null = manifest.architecture?.name === 'nexus-gen' ? { ng: nexusGenOf(manifest, sessions), render, tokenizer } : null;
  const runAny = (requests: readonly ModelRequest[], runOptions?: BatchRunOptions): Promise<ModelResult[]> =>
    nexusGen === null ? runBatch(context, requests, runOptions) : runNexusGenBatch(nexusGen, requests, runOptions);
  let closed = false;
  const guard = (): void => {
    if (closed) throw new ModelError('invalid_request', 'the model has been closed');
  };
  return {
    name: manifest.name,
    version: manifest.version,
    manifest,
    context,
    runBatch: async (requests, runOptions) => {
      guard();
      return runAny(requests, runOptions);
    },
    runBatchWith: async (requests, runOptions) => {
      guard();
      return runAny(requests, runOptions);
    },
    run: async (request, runOptions) => {
      guard();
      const [result] = await runAny([request], runOptions);
      if (result === undefined) throw new ModelError('session_failed', 'the batch returned no result');
      return result;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await releaseSessions(sessions);
    },
  };
}

export { decode };
export type { DecodeOptions };
