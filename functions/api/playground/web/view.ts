// The conversation's DOM. Everything the API or the model returns is set as text (textContent, attributes),
// never parsed as HTML, so neither model output nor metadata can inject markup.
import type { Job } from './api.js';
import type { TurnPart } from './conversation.js';

type Child = Node | string | null;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(name, value);
  for (const child of children) if (child !== null) node.append(child);
  return node;
}

function partNodes(parts: readonly TurnPart[], who: string): HTMLElement[] {
  return parts.map((p, i) =>
    p.kind === 'text' ? el('p', { class: 'text' }, p.text) : el('img', { class: 'image', src: p.display, alt: `${who} image ${i + 1}`, width: '256', height: '256' }),
  );
}

export function userTurn(parts: readonly TurnPart[]): HTMLLIElement {
  return el('li', { class: 'turn user' }, el('h2', {}, 'You'), ...partNodes(parts, 'Your'));
}

const seconds = (from: string | null, to: string | null): string | null => {
  if (from === null || to === null) return null;
  return `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(2)} s`;
};

/** The runtime's stages (workers/model/batch.ts), as a person would say them. */
const STAGES: Record<string, string> = { encode: 'reading the input', image_tokens: 'predicting the image tokens' };

function statusText(job: Job): string {
  if (job.cancel_requested && (job.status === 'queued' || job.status === 'running')) return 'Canceling…';
  if (job.status === 'queued') return job.queue_position === null ? 'Queued' : `Queued, position ${job.queue_position}`;
  if (job.status === 'running' && job.progress !== null) {
    const { stage, step, total } = job.progress;
    if (stage === 'diffusion') return `Running: diffusion step ${step} of ${total}`;
    if (stage === 'text') return `Running: writing, token ${step} of ${total}`;
    return `Running: ${STAGES[stage] ?? stage}`;
  }
  if (job.status === 'running') return 'Running';
  return job.status[0]?.toUpperCase() + job.status.slice(1);
}

export interface AssistantView {
  root: HTMLLIElement;
  /** Live state of the job (status line, progress bar, cancel button). */
  update(job: Job, via: 'events' | 'polling' | 'create'): void;
  /** A transient problem (retrying), or null when it cleared. */
  notice(text: string | null): void;
  showResult(parts: readonly TurnPart[], job: Job, seed: number, elapsedMs: number): void;
  /** The turn failed; an optional action (retry, check again) is offered as a button. */
  fail(message: string, action?: { label: string; run(): void }): void;
  onCancel(run: (() => void) | null): void;
}

export function assistantTurn(): AssistantView {
  const status = el('p', { class: 'status', role: 'status' }, 'Sending…');
  const progress = el('progress', { max: '1', hidden: '' });
  const cancel = el('button', { type: 'button', class: 'cancel', hidden: '' }, 'Cancel');
  const notice = el('p', { class: 'notice', hidden: '' });
  const body = el('div', { class: 'body' });
  const root = el('li', { class: 'turn assistant', 'aria-busy': 'true', 'data-status': 'sending' }, el('h2', {}, 'Nexus'), status, progress, cancel, notice, body);
  let cancelRun: (() => void) | null = null;
  cancel.addEventListener('click', () => {
    cancel.disabled = true;
    cancelRun?.();
  });
  const finish = () => {
    root.setAttribute('aria-busy', 'false');
    progress.hidden = true;
    cancel.hidden = true;
    notice.hidden = true;
  };

  return {
    root,
    update(job, via) {
      root.dataset.status = job.status;
      root.dataset.job = job.id;
      if (via !== 'create') root.dataset.via = via;
      status.textContent = `${statusText(job)} · ${job.id}`;
      const steps = job.status === 'running' && (job.progress?.stage === 'diffusion' || job.progress?.stage === 'text') ? job.progress : null;
      progress.hidden = steps === null;
      if (steps !== null) {
        progress.max = Math.max(steps.total, 1);
        progress.value = steps.step;
        progress.setAttribute('aria-label', `${steps.stage === 'text' ? 'Token' : 'Diffusion step'} ${steps.step} of ${steps.total}`);
      }
      cancel.hidden = !(job.status === 'queued' || job.status === 'running') || job.cancel_requested;
    },
    notice(text) {
      notice.hidden = text === null;
      notice.textContent = text ?? '';
    },
    showResult(parts, job, seed, elapsedMs) {
      finish();
      const u = job.usage;
      const facts: [string, string | null][] = [
        ['seed', String(seed)],
        ['queued', seconds(job.created_at, job.started_at)],
        ['ran', seconds(job.started_at, job.completed_at)],
        ['compute', u === null ? null : `${u.compute_ms} ms`],
        ['round trip', `${(elapsedMs / 1000).toFixed(2)} s`],
        [
          'usage',
          u === null ? null : `${u.input_tokens} tokens in, ${u.output_tokens} out, ${u.images} image${u.images === 1 ? '' : 's'}${u.billable ? '' : ', not billed'}`,
        ],
      ];
      const meta = el('dl', { class: 'meta' });
      for (const [name, value] of facts) if (value !== null) meta.append(el('dt', {}, name), el('dd', {}, value));
      body.replaceChildren(...partNodes(parts, 'Generated'), meta);
    },
    fail(message, action) {
      finish();
      if (root.dataset.status === 'sending') root.dataset.status = 'error';
      root.dataset.error = 'true';
      const text = el('p', { class: 'error', role: 'alert' }, message);
      body.replaceChildren(text);
      if (action !== undefined) {
        const button = el('button', { type: 'button' }, action.label);
        button.addEventListener('click', () => {
          body.replaceChildren();
          delete root.dataset.error;
          root.setAttribute('aria-busy', 'true');
          action.run();
        });
        body.append(button);
      }
    },
    onCancel(run) {
      cancelRun = run;
      cancel.disabled = false;
    },
  };
}
