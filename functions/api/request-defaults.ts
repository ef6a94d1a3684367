// Defaults the API fills in for omitted request fields.

/** Events a webhook receives when the request does not list them: the terminal ones. */
export const FINAL_WEBHOOK_EVENTS = ['job.succeeded', 'job.failed', 'job.canceled', 'job.expired'];

/** A stored seed makes every job reproducible, even when the client did not choose one. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 0;
}
