// ECS task scale-in protection: the worker asks its ECS agent to protect the task while it holds jobs, so a
// service scale-in picks an idle task instead of killing one mid-job. Without ECS_AGENT_URI (local runs) it is a
// no-op. Every request is best effort: a failure is logged and the worker carries on, because the worst case of
// an unprotected task is a job that goes back to the queue, while a crashed worker loses all of its jobs.
import { errorText } from '../../shared/error-text.js';
import type { Log } from '../../shared/log.js';

export interface ProtectionClock {
  now(): number;
  /** Calls back once after ms; the returned function cancels it. */
  setTimer(callback: () => void, ms: number): () => void;
}

export const systemClock: ProtectionClock = {
  now: () => Date.now(),
  setTimer(callback, ms) {
    const timer = setTimeout(callback, ms);
    // A pending renewal or idle timer must not keep a drained process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

export interface TaskProtectionOptions {
  /** ECS_AGENT_URI as ECS sets it in the container; null turns protection off. */
  agentUri: string | null;
  /** ExpiresInMinutes sent with each enable (ECS allows 1 to 2880). */
  expiresInMinutes: number;
  /** How long the worker must stay idle before protection is dropped: a stream of jobs keeps it on. */
  idleMs: number;
  /** Each request to the agent is aborted after this long. */
  timeoutMs: number;
  /** After a failed enable, how soon to try again (the task is unprotected meanwhile). */
  retryMs?: number;
  fetch?: typeof globalThis.fetch;
  clock?: ProtectionClock;
  log: Log;
}

export interface TaskProtection {
  /** The worker holds at least one job: protect now (once), and keep renewing while busy. */
  busy(): void;
  /** The worker holds no job: drop protection unless busy() comes again within idleMs. */
  idle(): void;
  /** Drop protection now (drain) and wait for the agent's answer; later calls do nothing. */
  stop(): Promise<void>;
  /** Resolves when every request sent so far has been answered or has failed. */
  settled(): Promise<void>;
}

export const noTaskProtection: TaskProtection = {
  busy: () => undefined,
  idle: () => undefined,
  stop: async () => undefined,
  settled: async () => undefined,
};

/** The agent answers { protection } on success and { failure } or { error } otherwise, sometimes with 200. */
function agentProblem(status: number, body: unknown): string | null {
  if (typeof body === 'object' && body !== null) {
    if ('failure' in body && body.failure !== null && body.failure !== undefined) return `failure: ${JSON.stringify(body.failure)}`;
    if ('error' in body && body.error !== null && body.error !== undefined) return `error: ${JSON.stringify(body.error)}`;
    if (status >= 200 && status < 300 && 'protection' in body) return null;
  }
  return `HTTP ${status}: unexpected answer ${JSON.stringify(body)}`;
}

export function createTaskProtection(options: TaskProtectionOptions): TaskProtection {
  const { agentUri, log } = options;
  if (agentUri === null) return noTaskProtection;
  const minutes = options.expiresInMinutes;
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 2880) throw new Error('expiresInMinutes must be an integer from 1 to 2880');
  const doFetch = options.fetch ?? globalThis.fetch;
  const clock = options.clock ?? systemClock;
  // Renew at half the lifetime, so one lost renewal still leaves time for the next before it lapses.
  const renewMs = (minutes * 60_000) / 2;
  const retryMs = Math.min(options.retryMs ?? 15_000, renewMs);
  const url = `${agentUri.replace(/\/+$/, '')}/task-protection/v1/state`;

  let wanted = false;
  let stopped = false;
  let cancelIdle: (() => void) | null = null;
  let cancelRenew: (() => void) | null = null;
  let chain: Promise<void> = Promise.resolve();

  async function send(enabled: boolean): Promise<boolean> {
    const body = enabled ? { ProtectionEnabled: true, ExpiresInMinutes: minutes } : { ProtectionEnabled: false };
    try {
      const response = await doFetch(url, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Not JSON: reported as it came.
      }
      const problem = agentProblem(response.status, parsed);
      if (problem !== null) {
        log('task_protection_failed', { enabled, error: problem });
        return false;
      }
      log('task_protection', { enabled, ...(enabled ? { expires_at: new Date(clock.now() + minutes * 60_000).toISOString() } : {}) });
      return true;
    } catch (error) {
      log('task_protection_failed', { enabled, error: errorText(error) });
      return false;
    }
  }

  /** Requests go one at a time in call order, so a late enable can never land after the disable that followed it. */
  function enqueue(enabled: boolean): Promise<boolean> {
    const result = chain.then(() => send(enabled));
    chain = result.then(() => undefined);
    return result;
  }

  function scheduleRenew(ms: number): void {
    cancelRenew?.();
    cancelRenew = clock.setTimer(() => {
      cancelRenew = null;
      if (wanted && !stopped) enable();
    }, ms);
  }

  function enable(): void {
    scheduleRenew(renewMs);
    void enqueue(true).then((ok) => {
      // The renewal timer set above stands unless this enable failed and protection is still wanted.
      if (!ok && wanted && !stopped) scheduleRenew(retryMs);
    });
  }

  function disable(): Promise<boolean> {
    wanted = false;
    cancelRenew?.();
    cancelRenew = null;
    return enqueue(false);
  }

  return {
    busy() {
      if (stopped) return;
      cancelIdle?.();
      cancelIdle = null;
      if (wanted) return;
      wanted = true;
      enable();
    },
    idle() {
      if (stopped || !wanted || cancelIdle !== null) return;
      cancelIdle = clock.setTimer(() => {
        cancelIdle = null;
        if (wanted && !stopped) void disable();
      }, options.idleMs);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      cancelIdle?.();
      cancelIdle = null;
      if (wanted) await disable();
      await chain;
    },
    settled: () => chain,
  };
}
