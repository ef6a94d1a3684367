// The API commands of `nexus`, on the typed client: generate, edit, ask, jobs list|get|cancel|wait, usage.
import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { JobFailedError, type Job, type Nexus, type Params, type Result, type RunOptions } from '../typescript/src/index.js';
import type { JobProgress } from './progress.js';

/** Bad arguments: exit 2 with the usage. */
export class UsageError extends Error {}

/** A command the API cannot serve yet: exit 1 with a clear sentence. */

export interface CommandContext {
  nexus: Nexus;
  positionals: string[];
  options: CommandOptions;
  progress: JobProgress;
  print(text: string): void;
}

export interface CommandOptions {
  out?: string;
  json: boolean;
  params: Params;
  format?: 'png' | 'jpeg' | 'webp';
  n?: number;
  limit?: number;
  timeoutMs?: number;
  stream: boolean;
}

const FORMAT_BY_EXTENSION: Record<string, 'png' | 'jpeg' | 'webp'> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };

function arg(ctx: CommandContext, index: number, name: string): string {
  const value = ctx.positionals[index];
  if (value === undefined || value === '') throw new UsageError(`missing ${name}`);
  return value;
}

function runOptions(ctx: CommandContext): RunOptions {
  const format = ctx.options.format ?? (ctx.options.out === undefined ? undefined : FORMAT_BY_EXTENSION[extname(ctx.options.out).toLowerCase()]);
  return {
    params: ctx.options.params,
    output: { ...(format === undefined ? {} : { format }), ...(ctx.options.n === undefined ? {} : { n: ctx.options.n }) },
    onProgress: (job, event) => ctx.progress.update(job, event),
    ...(ctx.options.timeoutMs === undefined ? {} : { timeout: ctx.options.timeoutMs }),
    stream: ctx.options.stream,
  };
}

/** Output paths: `-o out.png` for one image, out-1.png, out-2.png… for several; `<job id>.<format>` by default. */
function outputPaths(result: Result, out: string | undefined, format: string): string[] {
  const base = out ?? `${result.job.id}.${format === 'jpeg' ? 'jpg' : format}`;
  if (result.images.length <= 1) return [base];
  const ext = extname(base);
  const stem = ext === '' ? base : base.slice(0, -ext.length);
  return result.images.map((_, i) => `${stem}-${i + 1}${ext}`);
}

async function saveImages(ctx: CommandContext, result: Result): Promise<string[]> {
  const paths = outputPaths(result, ctx.options.out, ctx.options.format ?? 'png');
  await Promise.all(result.images.map(async (image, i) => writeFile(paths[i] ?? `${result.job.id}-${i + 1}.png`, await ctx.nexus.download(image))));
  return paths;
}

async function finish(ctx: CommandContext, work: Promise<Result>, save: boolean): Promise<void> {
  let result: Result;
  try {
    result = await work;
  } finally {
    ctx.progress.done();
  }
  const files = save ? await saveImages(ctx, result) : [];
  if (ctx.options.json) {
    ctx.print(JSON.stringify({ job: result.job, text: result.text, files }, null, 2));
    return;
  }
  // The model's words when it answered in words; beside a picture they are only its caption ("Here is the image:").
  if (files.length === 0 && result.text !== '') ctx.print(result.text);
  for (const file of files) ctx.print(`wrote ${file}`);
}

async function readImage(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function printJob(ctx: CommandContext, job: Job): void {
  if (ctx.options.json) return ctx.print(JSON.stringify(job, null, 2));
  const parts = [job.id, job.status, job.model, job.created_at];
  if (job.error !== null) parts.push(`${job.error.type}: ${job.error.message}`);
  ctx.print(parts.join('  '));
  for (const part of job.output?.content ?? []) ctx.print(part.type === 'text' ? `  text: ${part.text}` : `  image: ${part.width}x${part.height} ${part.image_url.url}`);
}

export const COMMANDS: Record<string, (ctx: CommandContext) => Promise<void>> = {
  async generate(ctx) {
    const prompt = arg(ctx, 1, 'PROMPT');
    await finish(ctx, ctx.nexus.generate(prompt, runOptions(ctx)), true);
  },
  async edit(ctx) {
    const image = await readImage(arg(ctx, 1, 'IN.png'));
    await finish(ctx, ctx.nexus.edit(image, arg(ctx, 2, 'INSTRUCTION'), runOptions(ctx)), true);
  },
  async ask(ctx) {
    const image = await readImage(arg(ctx, 1, 'IN.png'));
    await finish(ctx, ctx.nexus.understand(image, arg(ctx, 2, 'QUESTION'), runOptions(ctx)), false);
  },
  async jobs(ctx) {
    const sub = arg(ctx, 1, 'a jobs command (list, get, cancel, wait)');
    if (sub === 'list') {
      const page = await ctx.nexus.jobs.list({ limit: ctx.options.limit ?? 20 }).firstPage();
      if (ctx.options.json) return ctx.print(JSON.stringify(page, null, 2));
      for (const job of page.data) ctx.print([job.id, job.status.padEnd(9), job.created_at].join('  '));
      if (page.has_more) ctx.print(`… more (--limit up to 100)`);
      return;
    }
    const id = arg(ctx, 2, 'JOB_ID');
    if (sub === 'get') return printJob(ctx, await ctx.nexus.jobs.get(id));
    if (sub === 'cancel') return printJob(ctx, await ctx.nexus.jobs.cancel(id));
    if (sub === 'wait') {
      let job: Job;
      try {
        job = await ctx.nexus.jobs.wait(id, {
          onProgress: (j, e) => ctx.progress.update(j, e),
          stream: ctx.options.stream,
          ...(ctx.options.timeoutMs === undefined ? {} : { timeout: ctx.options.timeoutMs }),
        });
      } finally {
        ctx.progress.done();
      }
      printJob(ctx, job);
      if (job.status !== 'succeeded') throw new JobFailedError(job);
      return;
    }
    throw new UsageError(`unknown jobs command ${JSON.stringify(sub)}`);
  },
  async usage(ctx) {
    // `nexus usage [day|model]`: this month so far, by UTC day (default) or by model.
    const by = ctx.positionals[1] ?? 'day';
    if (by !== 'day' && by !== 'model') throw new UsageError('nexus usage takes day or model');
    const report = await ctx.nexus.usage.get({ groupBy: by });
    if (ctx.options.json) return ctx.print(JSON.stringify(report, null, 2));
    const usd = (micros: number): string => `$${(micros / 1_000_000).toFixed(6)}`;
    for (const row of report.data)
      ctx.print([(by === 'day' ? row.day : row.model) ?? '', `${row.jobs} jobs`, `${row.images} images`, usd(row.cost_usd_micros)].join('  '));
    ctx.print(`${report.from} to ${report.to}: ${report.total.jobs} jobs, ${report.total.images} images, ${usd(report.total.cost_usd_micros)}`);
  },
};
