// A progress bar on stderr: redrawn in place on a terminal, one line per finished stage otherwise.
import type { ModelProgress } from '../types.js';

export function createProgressBar(stream: NodeJS.WriteStream = process.stderr): { update(p: ModelProgress): void; done(): void } {
  const width = 24;
  let current = '';
  const line = (p: ModelProgress): string => {
    const fraction = p.total > 0 ? Math.min(1, p.step / p.total) : 1;
    const filled = Math.round(fraction * width);
    return `${p.stage.padEnd(13)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.step}/${p.total}`;
  };
  return {
    update(p) {
      if (stream.isTTY) {
        stream.write(`\r${line(p)}`);
      } else if (p.stage !== current && current !== '') {
        stream.write(`${current} done\n`);
      }
      current = p.stage;
    },
    done() {
      if (stream.isTTY) stream.write('\n');
      else if (current !== '') stream.write(`${current} done\n`);
    },
  };
}
