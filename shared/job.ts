// The job as the services keep it (camelCase). The wire form (snake_case) is produced by one mapper in the API.

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'expired'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'canceled', 'expired'];

export type Role = 'system' | 'user' | 'assistant';

/** A conversation ends with a user turn: the model answers it (assistant messages are earlier turns). The API
 * rejects other conversations with 400 and the runtime with invalid_request. */
export const LAST_MESSAGE_RULE = 'the last message must be from the user: the model answers the last user turn (assistant and system messages come before it)';

/** A content part after validation: images are claim-checked into the object store. */
export type StoredPart =
  | { type: 'text'; text: string }
  | { type: 'image'; key: string; mediaType: 'image/png' | 'image/jpeg' | 'image/webp'; width: number; height: number }
  /** An https image URL the worker fetches through the SSRF guard. */
  | { type: 'image_url'; url: string };

export interface StoredMessage {
  role: Role;
  content: StoredPart[];
}

export interface JobParams {
  seed: number;
  steps?: number;
  guidance?: number;
  temperature: number;
  topP: number;
  maxTokens: number;
}

export interface JobOutputSpec {
  modalities: ('text' | 'image')[] | null;
  format: 'png' | 'jpeg' | 'webp';
  n: number;
}

export interface JobProgress {
  stage: string;
  step: number;
  total: number;
}

export interface OutputImage {
  key: string;
  width: number;
  height: number;
  sha256: string;
  seed: number;
  mediaType: string;
}

export interface JobOutput {
  text: string;
  images: OutputImage[];
}

export interface JobError {
  type: string;
  message: string;
  retryable: boolean;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  images: number;
  computeMs: number;
  billable: boolean;
  /** The job's price in micro-dollars (shared/pricing.ts); 0 when not billable. */
  costUsdMicros: number;
  /** The price table version that priced it; null for rows written before prices existed. */
  priceVersion: string | null;
}

export interface WebhookSpec {
  url: string;
  events: string[];
}

export interface JobRecord {
  id: string;
  tenant: string;
  /** `name@version` once known; the requested model name at creation. */
  model: string;
  status: JobStatus;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  messages: StoredMessage[];
  output: JobOutputSpec;
  params: JobParams;
  webhook: WebhookSpec | null;
  metadata: Record<string, string>;
  progress: JobProgress | null;
  result: JobOutput | null;
  error: JobError | null;
  usage: Usage | null;
  cancelRequested: boolean;
  /** Monotonic counter for events of this job (docs/architecture.md §4.4 `sequence`). */
  eventSequence: number;
  /** Receive count of the queue delivery whose run holds the job (set by `JobStore.claimRun`); absent until claimed. */
  attempt?: number;
  /** ISO time after which a still-queued job expires instead of running. */
  deadline: string;
}

/** SQS body of the jobs queue (docs/architecture.md §4.5). */
export interface JobMessage {
  v: 1;
  job_id: string;
  tenant: string;
  model: string;
  attempt: number;
}
