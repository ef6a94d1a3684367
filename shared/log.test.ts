import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

describe('createLogger', () => {
  it('writes one JSON line: time, component, event, then the fields as given', () => {
    const lines: string[] = [];
    const log = createLogger({ component: 'worker', write: (line) => lines.push(line), now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) });
    log('claim_late', { job_id: 'job_1', waited_ms: 1000 });
    log('receive_failed', { level: 'warn', error: 'boom' });
    expect(lines).toEqual([
      '{"time":"2026-01-02T03:04:05.006Z","component":"worker","event":"claim_late","job_id":"job_1","waited_ms":1000}',
      '{"time":"2026-01-02T03:04:05.006Z","component":"worker","event":"receive_failed","level":"warn","error":"boom"}',
    ]);
  });
});
