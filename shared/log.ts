// One structured logger for every part: one JSON line per entry, `{"time", "component", "event", ...fields}`.
// Event names and field names are snake_case (`job_id`, `receive_count`, `claim_ms`), the words the wire and the
// table use, so one query finds a job across the API, the worker and the dispatcher. A warning or an error says
// so in a `level` field. Console only, so edge code can log too.

export type LogFields = Record<string, unknown>;

/** What every part takes to log: an event name and its fields, both snake_case. */
export type Log = (event: string, fields: LogFields) => void;

export interface LoggerOptions {
  /** Which part logs: `api`, `worker`, `dispatcher`, `start`, `model`. */
  component: string;
  /** Where a line goes; default console.log. */
  write?: (line: string) => void;
  now?: () => Date;
}

export function createLogger(options: LoggerOptions): Log {
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? (() => new Date());
  return (event, fields) => write(JSON.stringify({ time: now().toISOString(), component: options.component, event, ...fields }));
}

/** A Log that drops everything (tests, benchmarks). */
export const silentLog: Log = () => undefined;
