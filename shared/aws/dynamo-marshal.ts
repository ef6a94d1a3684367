// Plain JS values → DynamoDB AttributeValues for the JSON protocol (aws-json.ts), with the document client's
// settings that the table uses (clients.ts): undefined values are left out, class instances are refused.
// Strings, finite numbers, booleans, null, arrays, plain objects and Uint8Array (base64) only.
export type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { B: string }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** undefined for undefined (the caller leaves it out); throws on what DynamoDB cannot hold exactly. */
export function marshallValue(value: unknown, path = 'value'): AttributeValue | undefined {
  if (value === undefined) return undefined;
  if (value === null) return { NULL: true };
  switch (typeof value) {
    case 'string':
      return { S: value };
    case 'boolean':
      return { BOOL: value };
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be stored in DynamoDB`);
      // As the document client: beyond the safe integers a number may not survive the round trip.
      if (value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER) throw new TypeError(`${path}: ${value} is beyond the safe integers`);
      return { N: String(value) };
    case 'object':
      break;
    default:
      throw new TypeError(`${path}: a ${typeof value} cannot be stored in DynamoDB`);
  }
  if (value instanceof Uint8Array) return { B: base64(value) };
  if (Array.isArray(value)) {
    const list: AttributeValue[] = [];
    value.forEach((item: unknown, index) => {
      const marshalled = marshallValue(item, `${path}[${index}]`);
      if (marshalled !== undefined) list.push(marshalled);
    });
    return { L: list };
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) throw new TypeError(`${path}: class instances are not stored (convertClassInstanceToMap is off)`);
  return { M: marshallItem(value, path) };
}

/** A top-level item (or map): its attributes, undefined ones left out. */
export function marshallItem(item: object, path = 'item'): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(item) as [string, unknown][]) {
    const marshalled = marshallValue(value, `${path}.${key}`);
    if (marshalled !== undefined) out[key] = marshalled;
  }
  return out;
}

/** A number attribute of a reply's Attributes/Item (`{ count: { N: '5' } }`), or 0 when absent. */
export function numberAttribute(attributes: unknown, name: string): number {
  if (typeof attributes !== 'object' || attributes === null || !(name in attributes)) return 0;
  const value: unknown = (attributes as Record<string, unknown>)[name];
  if (typeof value !== 'object' || value === null || !('N' in value) || typeof value.N !== 'string') return 0;
  const parsed = Number(value.N);
  return Number.isFinite(parsed) ? parsed : 0;
}
