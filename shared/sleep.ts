// The one sleep for code that must stay edge-safe (the API and what it reaches in shared/): plain setTimeout,
// no `node:` import. Node-only code (worker, dispatcher, scripts, tests) uses `setTimeout` from
// `node:timers/promises` instead.
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
