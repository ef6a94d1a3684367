// The text of a thrown value for logs and messages: an Error's message, anything else as a string.
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
