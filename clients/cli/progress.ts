// What a waiting command shows on stderr: on a terminal one line redrawn in place (queue position while queued, a
// bar of diffusion steps while running); otherwise one plain line per change, for logs and CI.
import type { Job, JobEvent } from '../typescript/src/index.js';

export interface JobProgress {
  update(job: Job, event?: JobEvent): void;
  done(): void;
}

const WIDTH = 24;

function describe(job: Job): string {
  if (job.status === 'queued') return `queued${job.queue_position === null ? '' : ` (position ${job.queue_position})`}`;
  if (job.status === 'running' && job.progress !== null) {
    const { stage, step, total } = job.progress;
    const filled = total > 0 ? Math.round(Math.min(1, step / total) * WIDTH) : WIDTH;
    return `${stage.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${step}/${total}`;
  }
  return job.status === 'running' ? 'running' : job.status;
}

export function createJobProgress(stream: NodeJS.WriteStream, enabled: boolean): JobProgress {
  let last = '';
  let drawn = false;
  return {
    update(job) {
      if (!enabled) return;
      const text = `${job.id} ${describe(job)}`;
      if (text === last) return;
      last = text;
      if (stream.isTTY) {
        stream.write(`\r\x1b[2K${text}`);
        drawn = true;
      } else {
        stream.write(`${text}\n`);
      }
    },
    done() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
