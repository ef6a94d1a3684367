// Parity of the TS runtime with the PyTorch reference on the reduced random Nexus-Gen checkpoint: builds the
// checkpoint (models/nexus-gen/make_checkpoint.py), converts it (convert.py), runs understanding (vision encoder,
// prompt logits, greedy text), the prefilled image embeddings, the generation and editing decoders' velocities
// and a fixed-seed sampled image through the runtime's sessions, and the same case through reference.py.
// Relative error = max |runtime − reference| / max |reference| over each tensor.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createChatTemplate } from '../chat-template.js';
import { pixelValuesToRgb } from '../image-codec.js';
import { readBundleFiles, readManifest } from '../manifest.js';
import { encodePng } from '../png-encode.js';
import { createRequestRng, gaussian, RNG_STREAM } from '../prng.js';
import { argmax } from '../sampling.js';
import { createSessions, releaseSessions } from '../sessions.js';
import { createTokenizer } from '../tokenizer.js';
import { decodeToRgb } from '../vision.js';
import { ropeIndex } from './mrope.js';
import { encodeQwenImages } from './qwen-vision.js';
import { prepareInputImage, resizeImageSpans } from './image-spans.js';
import { decodeLatent, embedIds, nexusGenOf, NexusGenSequence, prefillImage, sampleLatent } from './stages.js';

export interface NexusGenParityReport {
  max_rel_err_logits: number | null;
  max_rel_err_embeddings: number | null;
  max_rel_err_velocity: number | null;
  max_rel_err_image: number | null;
  greedy_text_equal: boolean | null;
  image_sha256_equal: boolean | null;
  unmapped_parameters: number | null;
  /** Beyond the headline: the vision encoder's error, byte differences of the image, the texts. */
  detail: Record<string, unknown>;
}

export interface ParityOptions {
  root: string;
  workDir: string;
  python?: string;
  steps?: number;
  maxNewTokens?: number;
  /** Weight storage of the converted bundle (the reference stays float32): fp16/bf16 measure the rounding. */
  dtype?: 'fp32' | 'fp16' | 'bf16';
  log?: (line: string) => void;
}

/** The understanding picture: not square and not 252², so dynamic resolution and partial windows are exercised. */
export const IMAGE_WIDTH = 308;
export const IMAGE_HEIGHT = 196;
export const GENERATION_PROMPT = 'Generate an image according to the following description: a red circle on a blue square.';
export const QUESTION = 'What is in this image?';

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 1 << 26 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.slice(-4000)}`));
      else resolve(stdout);
    });
  });
}

function relErr(actual: ArrayLike<number>, expected: readonly number[]): number {
  if (actual.length !== expected.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let scale = 0;
  expected.forEach((e, i) => {
    diff = Math.max(diff, Math.abs((actual[i] ?? Number.NaN) - e));
    scale = Math.max(scale, Math.abs(e));
  });
  return Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff / Math.max(scale, 1e-12);
}

/** The sources the checkpoint and bundle come from; a change rebuilds them. */
function sourceStamp(root: string): string {
  const dir = join(root, 'models/nexus-gen');
  const h = createHash('sha256');
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.py'))
    .sort())
    h.update(f).update(readFileSync(join(dir, f)));
  return h.digest('hex');
}

/** Builds (or reuses, when models/nexus-gen/*.py are unchanged) the reduced checkpoint and its bundle. */
export async function buildBundle(options: ParityOptions, python: string): Promise<{ ckpt: string; bundle: string; unmapped: number }> {
  const ckpt = join(options.workDir, 'ckpt');
  const dtype = options.dtype ?? 'fp32';
  const bundle = join(options.workDir, dtype === 'fp32' ? 'bundle' : `bundle-${dtype}`);
  const stampPath = join(options.workDir, `stamp-${dtype}.json`);
  const stamp = sourceStamp(options.root);
  if (existsSync(stampPath)) {
    const saved = JSON.parse(await readFile(stampPath, 'utf8')) as { stamp?: string; unmapped?: number };
    if (saved.stamp === stamp && typeof saved.unmapped === 'number' && existsSync(join(bundle, 'manifest.json'))) return { ckpt, bundle, unmapped: saved.unmapped };
  }
  await mkdir(options.workDir, { recursive: true });
  options.log?.('building the reduced checkpoint');
  await run(python, ['models/nexus-gen/make_checkpoint.py', ckpt], options.root);
  for (const other of ['fp32', 'fp16', 'bf16']) if (other !== dtype) await rm(join(options.workDir, `stamp-${other}.json`), { force: true });
  options.log?.('converting it to a bundle');
  const out = await run(python, ['models/nexus-gen/convert.py', ckpt, bundle, '--dtype', dtype], options.root);
  const report = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { unmapped_parameters?: number };
  const unmapped = report.unmapped_parameters ?? Number.NaN;
  await writeFile(stampPath, JSON.stringify({ stamp, unmapped }));
  return { ckpt, bundle, unmapped };
}

/** The RGB test picture both sides see. */
export function testImage(width = IMAGE_WIDTH, height = IMAGE_HEIGHT): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) for (let c = 0; c < 3; c += 1) rgb[(y * width + x) * 3 + c] = (x * 7 + y * 13 + c * 50) % 256;
  }
  return rgb;
}

export async function runNexusGenParity(options: ParityOptions): Promise<NexusGenParityReport> {
  const python = options.python ?? '/usr/bin/python3';
  const steps = options.steps ?? 3;
  const maxNewTokens = options.maxNewTokens ?? 8;
  const { ckpt, bundle, unmapped } = await buildBundle(options, python);
  const manifest = await readManifest(bundle);
  const files = await readBundleFiles(bundle, manifest, true);
  const sessions = await createSessions(manifest, files, { executionProviders: ['cpu'], intraOpThreads: 1, bundleDir: bundle });
  try {
    const ng = nexusGenOf(manifest, sessions);
    const tokenizer = createTokenizer(new TextDecoder().decode(files.get('tokenizer')));
    const template = createChatTemplate({ template: manifest.chat_template, specialTokens: manifest.special_tokens, imageTokens: manifest.image_tokens, tokenizer });
    const st = manifest.special_tokens;
    const merge = ng.arch.vision.spatial_merge_size;

    // Understanding: image + question → prompt logits and greedy text.
    const png = await encodePng(testImage(), IMAGE_WIDTH, IMAGE_HEIGHT);
    const input = await prepareInputImage(png, ng.arch.vision);
    const rendered = template.render([{ role: 'user', content: [{ type: 'image' }, { type: 'text', text: QUESTION }] }], { addGenerationPrompt: true });
    const first0 = rendered.imageSpans[0];
    if (first0 === undefined) throw new Error('the chat template produced no image span');
    const resized = resizeImageSpans(rendered.inputIds, [first0.start], manifest.image_tokens, [input.tokens], st.image_pad);
    const chat = { inputIds: resized.ids };
    const span = { start: resized.starts[0] ?? first0.start };
    const rgb = input.rgb;
    const {
      embeds: [vision],
      grids: [grid],
    } = await encodeQwenImages(sessions.vision_encoder, ng.arch.vision, [input]);
    if (vision === undefined || grid === undefined) throw new Error('the vision encoder returned nothing');
    const prompt = await embedIds(ng, chat.inputIds);
    prompt.set(vision, span.start * manifest.hidden_size);
    const rope = ropeIndex(chat.inputIds.length, [{ start: span.start, grid }], merge);
    const seq = new NexusGenSequence(ng);
    const first = await seq.run(prompt, rope.positions);
    const vocab = manifest.vocab_size;
    const banned = [st.boi, st.eoi, st.image_pad, st.im_start, st.pad];
    for (let id = ng.arch.text.tokenizer_vocab_size; id < vocab; id += 1) banned.push(id);
    const greedy: number[] = [];
    let last = first.logits.slice(first.logits.length - vocab);
    let next = rope.next;
    for (let k = 0; k < maxNewTokens; k += 1) {
      for (const id of banned) last[id] = Number.NEGATIVE_INFINITY;
      const token = argmax(last);
      if (token === st.im_end) break;
      greedy.push(token);
      const out = await seq.run(await embedIds(ng, [token]), [[next], [next], [next]]);
      next += 1;
      last = out.logits.slice(0, vocab);
    }

    // Generation: text prompt → <|vision_start|> + 81 prefill slots in one pass → decoder → VAE.
    const genChat = template.render([{ role: 'user', content: GENERATION_PROMPT }], { addGenerationPrompt: true });
    const genSeq = new NexusGenSequence(ng);
    const genRope = ropeIndex(genChat.inputIds.length, [], merge);
    await genSeq.run(await embedIds(ng, genChat.inputIds), genRope.positions);
    const { embeds } = await prefillImage(ng, genSeq, genRope.next);
    const { channels, height, width } = manifest.decoder;
    const noise = gaussian(createRequestRng(52, RNG_STREAM.noise), channels * height * width);
    let velocity = new Float32Array(0);
    const latent = await sampleLatent(ng, embeds, {
      steps,
      noise,
      onVelocity: (i, v) => {
        if (i === 0) velocity = Float32Array.from(v);
      },
    });
    const pixels = await decodeLatent(ng, latent);
    // Editing decoder: one velocity on the same noise, the source picture encoded at the edit source size.
    const srcSide = ng.arch.edit.source_size;
    const srcRgb = await decodeToRgb(png, srcSide);
    const {
      embeds: [source],
    } = await encodeQwenImages(sessions.vision_encoder, ng.arch.vision, [{ rgb: srcRgb, width: srcSide, height: srcSide }]);
    if (source === undefined) throw new Error('the vision encoder returned no source tokens');
    let editVelocity = new Float32Array(0);
    await sampleLatent(ng, embeds, {
      steps: 1,
      noise,
      source: { embeds: source, tokens: source.length / manifest.embed_dim },
      onVelocity: (_, v) => {
        editVelocity = Float32Array.from(v);
      },
    });
    const side = height * ng.arch.diffusion.vae_scale;
    const outRgb = pixelValuesToRgb(pixels, 0, side, side, [-1, 1]);

    const casePath = join(options.workDir, 'case.json');
    const refPath = join(options.workDir, 'reference.json');
    await writeFile(
      casePath,
      JSON.stringify({
        understand: {
          ids: chat.inputIds,
          image_start: span.start,
          image: { width: input.width, height: input.height, rgb: Array.from(rgb) },
          max_new_tokens: maxNewTokens,
        },
        generate: { ids: genChat.inputIds, steps, noise: Array.from(noise), edit_source: { width: srcSide, height: srcSide, rgb: Array.from(srcRgb) } },
      }),
    );
    options.log?.('running the PyTorch reference');
    await run(python, ['models/nexus-gen/reference.py', ckpt, casePath, refPath], options.root);
    const ref = JSON.parse(await readFile(refPath, 'utf8')) as {
      prompt_logits: number[];
      greedy_ids: number[];
      vision_embeds: number[];
      image_embeds: number[];
      velocity: number[];
      edit_velocity: number[];
      latent: number[];
      pixels: number[];
      rgb_sha256: string;
    };
    const sha = createHash('sha256').update(outRgb).digest('hex');
    const refRgb = ref.pixels.length === pixels.length ? pixelValuesToRgb(Float32Array.from(ref.pixels), 0, side, side, [-1, 1]) : new Uint8Array(0);
    let bytesDiffering = 0;
    let maxByteDiff = 0;
    outRgb.forEach((b, i) => {
      const d = Math.abs(b - (refRgb[i] ?? -1000));
      if (d > 0) bytesDiffering += 1;
      maxByteDiff = Math.max(maxByteDiff, d);
    });
    return {
      max_rel_err_logits: relErr(first.logits, ref.prompt_logits),
      max_rel_err_embeddings: relErr(embeds, ref.image_embeds),
      max_rel_err_velocity: relErr(velocity, ref.velocity),
      max_rel_err_image: relErr(pixels, ref.pixels),
      greedy_text_equal: greedy.length === ref.greedy_ids.length && greedy.every((id, i) => id === ref.greedy_ids[i]),
      image_sha256_equal: sha === ref.rgb_sha256,
      unmapped_parameters: unmapped,
      detail: {
        max_rel_err_vision: relErr(vision, ref.vision_embeds),
        max_rel_err_latent: relErr(latent, ref.latent),
        max_rel_err_edit_velocity: relErr(editVelocity, ref.edit_velocity),
        greedy_ids: greedy,
        prompt_tokens: chat.inputIds.length,
        greedy_text: tokenizer.decode(greedy, { skipSpecialTokens: true }),
        reference_greedy_ids: ref.greedy_ids,
        rgb_bytes_differing: bytesDiffering,
        rgb_max_byte_diff: maxByteDiff,
        steps,
        image_side: side,
        understanding_image_tokens: input.tokens,
        reference_rgb_sha256: ref.rgb_sha256,
        runtime_rgb_sha256: sha,
      },
    };
  } finally {
    await releaseSessions(sessions);
  }
}
