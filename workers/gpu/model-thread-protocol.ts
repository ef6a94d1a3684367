// Messages between the worker's event loop and the model thread (model-thread.ts ↔ model-thread-entry.ts).
// Errors cross as plain fields and are rebuilt on arrival, so the worker's classification (failures.ts) still
// sees a ModelError with its code or an AbortError by name.
import { ModelError, type ModelErrorCode } from '../model/errors.js';
import type { LoadModelOptions, ModelProgress, ModelRequest, ModelResult } from '../model/types.js';

export interface ThreadData {
  bundleDir: string;
  options: LoadModelOptions;
}

export type ToThread = { type: 'run'; id: number; requests: ModelRequest[] } | { type: 'abort'; id: number; error: WireError } | { type: 'close' };

export type FromThread =
  | { type: 'loaded'; name: string; version: string }
  | { type: 'load_failed'; error: WireError }
  | { type: 'progress'; id: number; progress: ModelProgress }
  | { type: 'token'; id: number; index: number; text: string }
  | { type: 'done'; id: number; results: ModelResult[] }
  | { type: 'failed'; id: number; error: WireError }
  | { type: 'closed' };

export interface WireError {
  name: string;
  message: string;
  code?: ModelErrorCode;
  retryable?: boolean;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof ModelError) return { name: error.name, message: error.message, code: error.code, retryable: error.retryable };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

export function fromWireError(wire: WireError): Error {
  if (wire.name === 'ModelError' && wire.code !== undefined) return new ModelError(wire.code, wire.message, { retryable: wire.retryable ?? false });
  if (wire.name === 'AbortError' || wire.name === 'TimeoutError') return new DOMException(wire.message, wire.name);
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}
