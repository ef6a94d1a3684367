// One dataset record (models/DATASET.md) from one task: wire messages, token ids, spans and scenes.
import type { ChatMessage, ChatTemplateRenderer } from '../../workers/model/chat-template.js';
import type { Scene } from './scene.js';
import type { Task, TaskKind } from './tasks.js';

export type WireContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };
export interface WireMessage {
  role: 'system' | 'user' | 'assistant';
  content: WireContentPart[];
}

export interface DatasetRecord {
  id: string;
  task: TaskKind;
  messages: WireMessage[];
  images: string[];
  input_ids: number[];
  image_spans: { start: number; length: number; image: number; kind: 'input' | 'output' }[];
  loss_start: number;
  answer: string | null;
  scene: Scene;
  target_scene: Scene | null;
  /** What the final turn does: the edit operation or the question kind (for per-kind metrics). */
  detail: { edit?: string; question?: string };
}

export function imagePath(id: string, k: number): string {
  return `images/${id}-${k}.png`;
}

export function toRecord(id: string, task: Task, chat: ChatTemplateRenderer): DatasetRecord {
  const images = task.images.map((_, k) => imagePath(id, k));
  const messages: WireMessage[] = task.messages.map((m) => ({
    role: m.role,
    content: m.content.map((p): WireContentPart => {
      if (p.type === 'text') return { type: 'text', text: p.text };
      const url = images[p.image];
      if (url === undefined) throw new Error(`task refers to image ${p.image} of ${images.length}`);
      return { type: 'image_url', image_url: { url } };
    }),
  }));
  const chatMessages: ChatMessage[] = task.messages.map((m) => ({
    role: m.role,
    content: m.content.map((p) => (p.type === 'text' ? { type: 'text' as const, text: p.text } : { type: 'image' as const })),
  }));
  const order = task.messages.flatMap((m) => m.content.flatMap((p) => (p.type === 'image' ? [p.image] : [])));
  if (order.some((image, k) => image !== k)) throw new Error('task images must appear in order, each once');
  const rendered = chat.render(chatMessages);
  if (rendered.lossStart === null) throw new Error('a dataset conversation must end with the assistant reply');
  return {
    id,
    task: task.task,
    messages,
    images,
    input_ids: rendered.inputIds,
    image_spans: rendered.imageSpans,
    loss_start: rendered.lossStart,
    answer: task.answer,
    scene: task.scene,
    target_scene: task.targetScene,
    detail: task.detail,
  };
}
