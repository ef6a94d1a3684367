// The drain signal the worker's pieces share. drain() sets it once; the receive loop races a pending long poll
// against it, the claims release late jobs once it is set, and the loop releases a prepared batch instead of
// running it.

export interface DrainState {
  /** True once the drain has begun; never false again. */
  readonly draining: boolean;
  /** Resolves when the drain begins. */
  readonly begun: Promise<void>;
  begin(): void;
}

export function createDrainState(): DrainState {
  let draining = false;
  let signal: () => void = () => undefined;
  const begun = new Promise<void>((resolve) => (signal = resolve));
  return {
    get draining() {
      return draining;
    },
    begun,
    begin() {
      draining = true;
      signal();
    },
  };
}
