// Polling helpers for tests against real servers: wait for a condition rather than sleep a fixed time.

import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/** Polls `probe` every 50 ms until it returns a value (not undefined, null or false); throws when the time runs out. */
export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
