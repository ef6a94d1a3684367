// The `nexus` command: run the model on a prompt or a conversation file, locally, without any server.
import { errorText } from '../../../shared/error-text.js';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadModel } from '../index.js';
import type { ModelRequest } from '../types.js';
import { outputPath, readConversation, saveConversation, toModelMessages, userTurn, type ConversationFile } from './conversation.js';
import { createProgressBar } from './progress.js';

const USAGE = `usage: nexus run --prompt TEXT [--image IN.png ...] [--out OUT.png] [--seed N]
       nexus run --conversation CHAT.json [--prompt TEXT] [--save]
options: --bundle DIR  --steps N  --guidance G  --temperature T  --top-p P  --max-tokens N
         --modality auto|text|image  --format png|jpeg|webp  --threads N  --provider cpu|cuda
A conversation file is {"messages": [...]} in the API's format, image URLs as paths relative to the file;
--save appends the reply (its images written beside the file) so the next run continues the conversation.`;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function defaultBundle(): string {
  const fromEnv = process.env['NEXUS_BUNDLE'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const committed = join(repoRoot, 'models/nexus-mini');
  return existsSync(join(committed, 'manifest.json')) ? committed : join(repoRoot, '.cache/smoke-bundle');
}

function numberArg(value: string | undefined, name: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a${integer ? 'n integer' : ' number'}`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        prompt: { type: 'string' },
        image: { type: 'string', multiple: true },
        out: { type: 'string' },
        seed: { type: 'string' },
        conversation: { type: 'string' },
        save: { type: 'boolean' },
        bundle: { type: 'string' },
        steps: { type: 'string' },
        guidance: { type: 'string' },
        temperature: { type: 'string' },
        'top-p': { type: 'string' },
        'max-tokens': { type: 'string' },
        modality: { type: 'string' },
        format: { type: 'string' },
        threads: { type: 'string' },
        provider: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${errorText(error)}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals[0] !== 'run') {
    process.stderr.write(`${USAGE}\n`);
    return values.help === true ? 0 : 2;
  }
  try {
    const format = values.format ?? 'png';
    if (format !== 'png' && format !== 'jpeg' && format !== 'webp') throw new Error('--format must be png, jpeg or webp');
    const modality = values.modality ?? 'auto';
    if (modality !== 'auto' && modality !== 'text' && modality !== 'image') throw new Error('--modality must be auto, text or image');
    const provider = values.provider ?? 'cpu';
    if (provider !== 'cpu' && provider !== 'cuda') throw new Error('--provider must be cpu or cuda');
    const chatPath = values.conversation;
    const baseDir = chatPath === undefined ? process.cwd() : dirname(resolve(chatPath));
    const conversation: ConversationFile = chatPath === undefined ? { messages: [] } : await readConversation(chatPath);
    const images = values.image ?? [];
    if (values.prompt !== undefined || images.length > 0) conversation.messages.push(userTurn(values.prompt, images, baseDir));
    if (conversation.messages.length === 0) throw new Error('nothing to run: give --prompt and/or --image, or --conversation');

    const model = await loadModel(values.bundle ?? defaultBundle(), {
      executionProviders: provider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
      allowSpinning: provider === 'cuda',
      ...(values.threads === undefined ? {} : { intraOpThreads: numberArg(values.threads, 'threads', true) }),
    });
    const defaults = model.manifest.defaults;
    const steps = numberArg(values.steps, 'steps', true);
    const guidance = numberArg(values.guidance, 'guidance', false);
    const request: ModelRequest = {
      messages: await toModelMessages(conversation, baseDir),
      modalities: modality === 'auto' ? null : [modality],
      format,
      seed: numberArg(values.seed, 'seed', true) ?? 0,
      ...(steps === undefined ? {} : { steps }),
      ...(guidance === undefined ? {} : { guidance }),
      temperature: numberArg(values.temperature, 'temperature', false) ?? defaults.temperature,
      topP: numberArg(values['top-p'], 'top-p', false) ?? defaults.top_p,
      maxTokens: numberArg(values['max-tokens'], 'max-tokens', true) ?? defaults.max_tokens,
    };
    const bar = createProgressBar();
    const result = await model.run(request, { onProgress: (p) => bar.update(p) });
    bar.done();
    await model.close();

    const out = values.out ?? join(chatPath === undefined ? process.cwd() : baseDir, `nexus-${request.seed}-${Date.now()}`);
    const written: string[] = [];
    for (const [k, image] of result.images.entries()) {
      const path = outputPath(out, k, format);
      await writeFile(path, image.data);
      written.push(path);
      process.stderr.write(`wrote ${path} (${image.width}x${image.height}, seed ${image.seed}, sha256 ${image.sha256})\n`);
    }
    if (result.text !== '') process.stdout.write(`${result.text}\n`);
    if (values.save === true && chatPath !== undefined) await saveConversation(chatPath, conversation, result, written);
    return 0;
  } catch (error) {
    process.stderr.write(`nexus: ${errorText(error)}\n`);
    return 1;
  }
}
