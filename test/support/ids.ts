// Test ids that must not exist: an existing id with its last character changed, never to the one it had
// (a fixed replacement character equals it 1 time in 32, which made near-miss tests flaky).

/** `id` with its last character replaced by `last`, or by another character when `id` already ends in `last`. */
export function nearMissId(id: string, last: string): string {
  return `${id.slice(0, -1)}${id.endsWith(last) ? (last === '0' ? '1' : '0') : last}`;
}
