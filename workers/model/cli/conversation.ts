// Conversation files for multi-turn use: API-style messages (docs/architecture.md §4.1) whose image URLs are file paths
// relative to the file. Saving writes the reply's images beside it, so the next turn can continue.
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { ModelImage, ModelMessage, ModelPart } from '../types.js';

const part = z.union([
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({ type: z.literal('image_url'), image_url: z.object({ url: z.string().min(1) }) }),
]);
const fileSchema = z.object({
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.union([z.string(), z.array(part)]) })),
});
export type ConversationFile = z.infer<typeof fileSchema>;
type FilePart = z.infer<typeof part>;

export async function readConversation(path: string): Promise<ConversationFile> {
  return fileSchema.parse(JSON.parse(await readFile(path, 'utf8')));
}

/** Loads the images a conversation file names (paths relative to `baseDir`) into model messages. */
export async function toModelMessages(conversation: ConversationFile, baseDir: string): Promise<ModelMessage[]> {
  const out: ModelMessage[] = [];
  for (const m of conversation.messages) {
    const parts: FilePart[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    const content: ModelPart[] = [];
    for (const p of parts) {
      if (p.type === 'text') content.push({ type: 'text', text: p.text });
      else content.push({ type: 'image', data: new Uint8Array(await readFile(resolve(baseDir, p.image_url.url))) });
    }
    out.push({ role: m.role, content });
  }
  return out;
}

export function userTurn(text: string | undefined, imagePaths: readonly string[], baseDir: string): ConversationFile['messages'][number] {
  const parts: FilePart[] = imagePaths.map((p) => ({ type: 'image_url', image_url: { url: relative(baseDir, resolve(p)) } }));
  if (text !== undefined) parts.push({ type: 'text', text });
  return { role: 'user', content: parts };
}

/** Appends the assistant's reply (images written next to the conversation file) and saves the file. */
export async function saveConversation(
  path: string,
  conversation: ConversationFile,
  reply: { text: string; images: ModelImage[] },
  imagePaths: readonly string[],
): Promise<void> {
  const dir = dirname(resolve(path));
  const parts: FilePart[] = [];
  if (reply.text !== '') parts.push({ type: 'text', text: reply.text });
  reply.images.forEach((_, i) => {
    const p = imagePaths[i];
    if (p !== undefined) parts.push({ type: 'image_url', image_url: { url: relative(dir, resolve(p)) } });
  });
  const next = { messages: [...conversation.messages, { role: 'assistant' as const, content: parts }] };
  await writeFile(path, `${JSON.stringify(next, null, 2)}\n`);
}

/** Where the reply's k-th image goes: --out for the first, numbered siblings after it. */
export function outputPath(out: string, k: number, format: string): string {
  const ext = extname(out) === '' ? `.${format}` : extname(out);
  const stem = extname(out) === '' ? out : join(dirname(out), basename(out, extname(out)));
  return k === 0 ? `${stem}${ext}` : `${stem}-${k + 1}${ext}`;
}
