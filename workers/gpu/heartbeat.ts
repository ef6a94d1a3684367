// Keeps in-flight messages invisible while their jobs run: one timer extends every held receipt handle.
import type { MessageQueue } from '../../shared/ports.js';

export interface HeartbeatOptions {
  queue: Pick<MessageQueue<unknown>, 'extendVisibility'>;
  intervalMs: number;
  visibilitySeconds: number;
  onError?: (error: unknown) => void;
}

export interface Heartbeat {
  hold(receiptHandle: string): void;
  release(receiptHandle: string): void;
  held(): number;
  stop(): void;
}

export function createHeartbeat(options: HeartbeatOptions): Heartbeat {
  const handles = new Set<string>();
  let timer: NodeJS.Timeout | null = null;

  const beat = (): void => {
    for (const handle of handles) {
      options.queue.extendVisibility(handle, options.visibilitySeconds).catch((error: unknown) => {
        // A handle that stopped working means another delivery owns the message now; the job row decides.
        handles.delete(handle);
        options.onError?.(error);
      });
    }
  };

  return {
    hold(handle) {
      handles.add(handle);
      if (timer === null) {
        timer = setInterval(beat, options.intervalMs);
        timer.unref();
      }
    },
    release(handle) {
      handles.delete(handle);
    },
    held: () => handles.size,
    stop() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      handles.clear();
    },
  };
}
