// The playground page: one conversation with the model through the public API, as a customer's app would hold
// it. The key is typed in (or arrives in the URL fragment from `npm start`'s link, which never reaches a server),
// kept in this tab's sessionStorage only, and sent only in the Authorization header to this origin.
import { createApiClient, describeError, NetworkError, ApiError, type Job } from './api.js';
import { imageCount, jobRequest, type Turn, type TurnPart } from './conversation.js';
import { followJob, LostContactError } from './follow-job.js';
import { attachFile, loadOutputImage, type PageImage } from './images.js';
import { MAX_IMAGES, MAX_TEXT_CHARS } from './limits.js';
import { assistantTurn, userTurn, type AssistantView } from './view.js';

const KEY_STORAGE = 'nexus-playground-key';

function byId<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`page is missing #${id}`);
  return node;
}

const keyInput = byId('key', HTMLInputElement);
const modelSelect = byId('model', HTMLSelectElement);
const seedInput = byId('seed', HTMLInputElement);
const stepsInput = byId('steps', HTMLInputElement);
const guidanceInput = byId('guidance', HTMLInputElement);
const imagesInput = byId('n', HTMLInputElement);
const log = byId('log', HTMLOListElement);
const composer = byId('composer', HTMLFormElement);
const prompt = byId('prompt', HTMLTextAreaElement);
const fileInput = byId('file', HTMLInputElement);
const attachmentBox = byId('attachment', HTMLDivElement);
const attachmentImg = byId('attachment-image', HTMLImageElement);
const composerError = byId('composer-error', HTMLParagraphElement);
const sendButton = byId('send', HTMLButtonElement);

const api = createApiClient({ baseUrl: location.origin, apiKey: () => keyInput.value.trim() });
let turns: Turn[] = [];
let attachment: PageImage | null = null;
let busy = false;
/** The job being followed; "New conversation" stops following it (the job itself runs on). */
let following: AbortController | null = null;

function say(text: string | null): void {
  composerError.textContent = text ?? '';
}

function setBusy(value: boolean): void {
  busy = value;
  sendButton.disabled = value;
  composer.setAttribute('aria-busy', String(value));
}

// The key: from the fragment (#key=…, then removed from the address bar and history), else this tab's storage.
const fragmentKey = new URLSearchParams(location.hash.slice(1)).get('key');
if (fragmentKey !== null) {
  keyInput.value = fragmentKey;
  window.history.replaceState(null, '', location.pathname + location.search);
} else {
  keyInput.value = sessionStorage.getItem(KEY_STORAGE) ?? '';
}

async function loadModels(): Promise<void> {
  if (keyInput.value.trim() === '') return;
  sessionStorage.setItem(KEY_STORAGE, keyInput.value.trim());
  try {
    const list = await api.json<{ data: { id: string; version: string }[] }>('GET', '/v1/models');
    const chosen = modelSelect.value;
    modelSelect.replaceChildren(...list.data.map((m) => new Option(`${m.id} (${m.version})`, m.id, false, m.id === chosen)));
    say(null);
  } catch (error) {
    say(describeError(error));
  }
}
keyInput.addEventListener('change', () => void loadModels());
void loadModels();

function setAttachment(image: PageImage | null): void {
  if (attachment !== null && attachment.display.startsWith('blob:') && image === null) URL.revokeObjectURL(attachment.display);
  attachment = image;
  attachmentBox.hidden = image === null;
  attachmentImg.src = image?.display ?? '';
}

async function attach(file: File | undefined): Promise<void> {
  if (file === undefined) return;
  say('Reading the image…');
  try {
    setAttachment(await attachFile(file, api));
    say(null);
  } catch (error) {
    setAttachment(null);
    say(describeError(error));
  }
}
fileInput.addEventListener('change', () => {
  void attach(fileInput.files?.[0]);
  fileInput.value = '';
});
byId('detach', HTMLButtonElement).addEventListener('click', () => setAttachment(null));
composer.addEventListener('dragover', (event) => {
  event.preventDefault();
  composer.classList.add('dropping');
});
composer.addEventListener('dragleave', () => composer.classList.remove('dropping'));
composer.addEventListener('drop', (event) => {
  event.preventDefault();
  composer.classList.remove('dropping');
  void attach(event.dataTransfer?.files[0]);
});

function params(): Record<string, number> {
  const out: Record<string, number> = {};
  // A seed on every request, so every result can be reproduced.
  out.seed = seedInput.value.trim() === '' ? (crypto.getRandomValues(new Uint32Array(1))[0] ?? 0) : Number(seedInput.value);
  if (stepsInput.value.trim() !== '') out.steps = Number(stepsInput.value);
  if (guidanceInput.value.trim() !== '') out.guidance = Number(guidanceInput.value);
  return out;
}

async function resultParts(job: Job): Promise<TurnPart[]> {
  return Promise.all(
    (job.output?.content ?? []).map(async (part): Promise<TurnPart> =>
      part.type === 'text' ? { kind: 'text', text: part.text } : { kind: 'image', ...(await loadOutputImage(part.image_url.url)) },
    ),
  );
}

const FINAL_MESSAGES: Record<string, string> = {
  canceled: 'Canceled.',
  expired: 'Expired: the job waited in the queue past its deadline and never ran.',
};

/** Follows a created job to its end and records the turn when it succeeded. */
async function follow(job: Job, next: Turn, view: AssistantView, seed: number, startedAt: number): Promise<void> {
  const control = new AbortController();
  following = control;
  view.onCancel(() => {
    api.json<Job>('POST', `/v1/jobs/${encodeURIComponent(job.id)}/cancel`).then(
      (canceled) => view.update(canceled, 'polling'),
      (error: unknown) => view.notice(`Cancel failed: ${describeError(error)}`),
    );
  });
  try {
    const final = await followJob({ api, jobId: job.id, signal: control.signal, onJob: (j, via) => view.update(j, via), onNotice: (t) => view.notice(t) });
    if (final.status !== 'succeeded') {
      const hint = final.error?.type === 'context_too_long' ? ' Start a new conversation (the model reads only so much).' : '';
      const reason = final.error === null ? (FINAL_MESSAGES[final.status] ?? final.status) : `The job failed: ${final.error.message} [${final.error.type}]${hint}`;
      view.fail(reason);
      return;
    }
    const parts = await resultParts(final);
    if (control.signal.aborted) return;
    view.showResult(parts, final, seed, performance.now() - startedAt);
    turns.push(next, { role: 'assistant', parts });
  } catch (error) {
    if (control.signal.aborted) return;
    if (error instanceof LostContactError) {
      view.fail(error.message, { label: 'Check again', run: () => void follow(job, next, view, seed, startedAt) });
    } else view.fail(describeError(error));
  } finally {
    setBusy(false);
    view.root.scrollIntoView({ block: 'end' });
  }
}

/** Creates the job (one Idempotency-Key across retries of this turn, so a retry never runs it twice). */
async function run(body: ReturnType<typeof jobRequest>, next: Turn, view: AssistantView, idempotencyKey: string): Promise<void> {
  setBusy(true);
  const startedAt = performance.now();
  let job: Job;
  try {
    job = await api.json<Job>('POST', '/v1/jobs', body, { 'idempotency-key': idempotencyKey });
  } catch (error) {
    setBusy(false);
    const retryable = error instanceof NetworkError || (error instanceof ApiError && (error.status === 429 || error.status >= 500));
    const message = error instanceof NetworkError ? `${error.message} The message may not have been sent.` : describeError(error);
    view.fail(message, retryable ? { label: 'Retry', run: () => void run(body, next, view, idempotencyKey) } : undefined);
    return;
  }
  view.update(job, 'create');
  await follow(job, next, view, body.params.seed ?? 0, startedAt);
}

function send(): void {
  if (busy) return;
  const text = prompt.value.trim();
  if (keyInput.value.trim() === '') {
    say('Enter your API key first (npm start prints a link that fills it in).');
    keyInput.focus();
    return;
  }
  if (text === '' && attachment === null) return say('Type a message, or attach an image and ask about it.');
  if (text.length > MAX_TEXT_CHARS) return say(`Your message has ${text.length} characters; the API takes at most ${MAX_TEXT_CHARS} per message.`);
  const carried = imageCount(turns) + (attachment === null ? 0 : 1);
  if (carried > MAX_IMAGES) return say(`This conversation would carry ${carried} images; a request may carry at most ${MAX_IMAGES}. Start a new conversation.`);
  const parts: TurnPart[] = [];
  if (attachment !== null) parts.push({ kind: 'image', ...attachment });
  if (text !== '') parts.push({ kind: 'text', text });
  const next: Turn = { role: 'user', parts };
  const images = imagesInput.value.trim() === '' ? undefined : Number(imagesInput.value);
  const body = jobRequest({ model: modelSelect.value, history: turns, next, params: params(), images });
  say(null);
  log.append(userTurn(parts));
  const view = assistantTurn();
  log.append(view.root);
  view.root.scrollIntoView({ block: 'end' });
  prompt.value = '';
  attachment = null;
  attachmentBox.hidden = true;
  void run(body, next, view, crypto.randomUUID());
}

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
prompt.addEventListener('keydown', (event) => {
  // Enter sends, Shift+Enter starts a new line (the chat convention).
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  }
});
byId('new', HTMLButtonElement).addEventListener('click', () => {
  following?.abort();
  following = null;
  turns = [];
  log.replaceChildren();
  setAttachment(null);
  say(null);
  prompt.focus();
});
