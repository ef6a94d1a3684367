// @nexus/client: the typed client of the Nexus platform API.
export { Nexus, DEFAULT_BASE_URL, type NexusOptions } from './client.js';
export {
  NexusError,
  ApiError,
  InvalidRequestError,
  AuthenticationError,
  PermissionError,
  NotFoundError,
  ConflictError,
  RateLimitError,
  InternalServerError,
  OverloadedError,
  ConnectionError,
  JobFailedError,
  WaitTimeoutError,
  WebhookVerificationError,
  type ApiErrorFields,
} from './errors.js';
export { Jobs, JobPager, StreamingUnavailableError, type CreateOptions, type EventsOptions, type ListOptions, type WaitOptions } from './jobs.js';
export { Conversation, GENERATE_TEMPLATE, INLINE_IMAGE_BYTES, type GenerateOptions, type Result, type RunOptions } from './helpers.js';
export { sniffImageType, type ImageInput, type ImageMediaType } from './media.js';
export { Uploads, type UploadOptions } from './uploads.js';
export { Models } from './models.js';
export { Webhooks, type VerifyOptions, type WebhookHeaders } from './webhooks.js';
export { readServerSentEvents, type ServerSentEvent } from './sse.js';
export { DEFAULT_RETRY, type RetryOptions } from './retry.js';
export * from './types.js';
export type { components, paths } from './generated/api.js';
