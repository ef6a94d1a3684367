// Request limits of the public API. They are part of the contract (README "Limits", OpenAPI descriptions),
// so they live in one place that both the schemas and the docs read. The image limits come from shared/, where
// the worker reads them too (images fetched by URL are held to the same limits).
import { IMAGE_LIMITS, type ImageLimits } from '../../shared/image-limits.js';

/** The image limits (shared/image-limits.ts: maxImageBytes is one decoded image, data URI or upload) and the rest. */
export interface ApiLimits extends ImageLimits {
  /** Whole request body, bytes (413 above). */
  maxBodyBytes: number;
  maxMessages: number;
  /** Image parts across all messages of one request. */
  maxImages: number;
  maxTextChars: number;
  maxMetadataKeys: number;
  maxMetadataKeyChars: number;
  maxMetadataValueChars: number;
  maxUrlChars: number;
  maxOutputImages: number;
  maxSteps: number;
  maxGuidance: number;
  maxTokens: number;
  maxWaitSeconds: number;
}

export const DEFAULT_LIMITS: ApiLimits = {
  maxBodyBytes: 8 * 1024 * 1024,
  maxMessages: 32,
  maxImages: 4,
  maxTextChars: 4000,
  ...IMAGE_LIMITS,
  maxMetadataKeys: 16,
  maxMetadataKeyChars: 64,
  maxMetadataValueChars: 512,
  maxUrlChars: 2048,
  maxOutputImages: 4,
  maxSteps: 100,
  maxGuidance: 20,
  maxTokens: 512,
  maxWaitSeconds: 60,
};
