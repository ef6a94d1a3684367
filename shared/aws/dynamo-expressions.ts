// Small helpers for DynamoDB expressions: placeholders, condition failures, cursors.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { invalidRequest } from '../errors.js';

export interface ExpressionParts {
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/** Collects `#n`/`:v` placeholders so that no attribute name can clash with a reserved word. */
export function createExpressionBuilder(): ExpressionParts & { name(attribute: string): string; value(value: unknown): string } {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  let counter = 0;
  return {
    names,
    values,
    name(attribute) {
      const placeholder = `#${attribute.replace(/[^A-Za-z0-9_]/g, '_')}`;
      names[placeholder] = attribute;
      return placeholder;
    },
    value(value) {
      counter += 1;
      const placeholder = `:v${counter}`;
      values[placeholder] = value;
      return placeholder;
    },
  };
}

export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error instanceof Error && error.name === 'ConditionalCheckFailedException');
}

// Web-standard base64url (no Buffer), because the API that uses these also runs on edge runtimes.
function toBase64Url(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/** Opaque page cursor: base64url of the last key of the page. */
export function encodeCursor(key: { pk: string; sk: string }): string {
  return toBase64Url(JSON.stringify({ pk: key.pk, sk: key.sk }));
}

/** Decodes a cursor and checks that it belongs to `pk` and to rows starting with `skPrefix`. */
/**
 * Longest sort key a cursor may carry. Ours are under 64 characters (`JOB#job_…`, `DELIVERY#n`); DynamoDB refuses
 * a start key over 1024 bytes with a ValidationException, which a forged cursor must not turn into a 500.
 */
const MAX_CURSOR_SORT_KEY_CHARS = 256;

export function decodeCursor(cursor: string, pk: string, skPrefix: string): { pk: string; sk: string } {
  const bad = () => invalidRequest('invalid_cursor', 'The pagination cursor is not valid.', 'cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(fromBase64Url(cursor));
  } catch {
    throw bad();
  }
  if (typeof parsed !== 'object' || parsed === null || !('pk' in parsed) || !('sk' in parsed)) throw bad();
  const { pk: cursorPk, sk: cursorSk } = parsed;
  if (cursorPk !== pk || typeof cursorSk !== 'string' || !cursorSk.startsWith(skPrefix) || cursorSk.length > MAX_CURSOR_SORT_KEY_CHARS) throw bad();
  return { pk, sk: cursorSk };
}
