// `nexus generate|edit|ask|jobs|usage`: the platform API from the command line, through the typed client.
// (`nexus run` is the model without a server: workers/model/cli.) Exit codes: 0 done, 1 an unexpected
// failure, 2 usage error, 3 API error (the API refused or could not be reached), 4 the job ended failed,
// canceled or expired, 5 --timeout passed before the job ended (it goes on).
import { parseArgs } from 'node:util';
import { ApiError, ConnectionError, JobFailedError, Nexus, WaitTimeoutError, DEFAULT_BASE_URL, type Params } from '../typescript/src/index.js';
import { COMMANDS, UsageError, type CommandOptions } from './commands.js';
import { createJobProgress } from './progress.js';

export const API_COMMANDS = new Set(Object.keys(COMMANDS));

export const EXIT = { ok: 0, unexpected: 1, usage: 2, api: 3, jobFailed: 4, timeout: 5 } as const;

export const USAGE = `usage: nexus generate PROMPT [-o OUT.png]        text → image (PROMPT is a description)
       nexus edit IN.png INSTRUCTION [-o OUT.png]  image + instruction → image
       nexus ask IN.png QUESTION                   image + question → text
       nexus jobs list [--limit N] | get ID | cancel ID | wait ID
       nexus usage [day|model]                     this month's usage and cost, by day or model
       nexus run …                                 the model without a server (nexus run --help)
options: --seed N  --steps N  --guidance G  --temperature T  --max-tokens N  --format png|jpeg|webp  --n N
         --json (the job as JSON on stdout)  --timeout SECONDS  --no-stream (poll instead of live events)
         --base-url URL  (default $NEXUS_BASE_URL or ${DEFAULT_BASE_URL})
env:     NEXUS_API_KEY (required; npm start prints a development key), NEXUS_BASE_URL
exit:    0 done, 1 unexpected failure, 2 usage error, 3 API error, 4 job failed/canceled/expired, 5 timed out`;

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}

function number(value: string | undefined, name: string, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw new UsageError(`--${name} must be a${integer ? 'n integer' : ' number'}, not ${JSON.stringify(value)}`);
  return n;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string', short: 'o' },
      json: { type: 'boolean' },
      seed: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      temperature: { type: 'string' },
      'max-tokens': { type: 'string' },
      format: { type: 'string' },
      n: { type: 'string' },
      limit: { type: 'string' },
      timeout: { type: 'string' },
      'no-stream': { type: 'boolean' },
      'base-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function optionsOf(values: ReturnType<typeof parse>['values']): CommandOptions {
  const params: Params = {};
  const seed = number(values.seed, 'seed', true);
  const steps = number(values.steps, 'steps', true);
  const guidance = number(values.guidance, 'guidance', false);
  const temperature = number(values.temperature, 'temperature', false);
  const maxTokens = number(values['max-tokens'], 'max-tokens', true);
  if (seed !== undefined) params.seed = seed;
  if (steps !== undefined) params.steps = steps;
  if (guidance !== undefined) params.guidance = guidance;
  if (temperature !== undefined) params.temperature = temperature;
  if (maxTokens !== undefined) params.max_tokens = maxTokens;
  const format = values.format;
  if (format !== undefined && format !== 'png' && format !== 'jpeg' && format !== 'webp') throw new UsageError('--format must be png, jpeg or webp');
  const timeout = number(values.timeout, 'timeout', false);
  if (timeout !== undefined && timeout <= 0) throw new UsageError('--timeout must be more than 0 seconds');
  const n = number(values.n, 'n', true);
  const limit = number(values.limit, 'limit', true);
  return {
    json: values.json === true,
    params,
    stream: values['no-stream'] !== true,
    ...(values.out === undefined ? {} : { out: values.out }),
    ...(format === undefined ? {} : { format }),
    ...(n === undefined ? {} : { n }),
    ...(limit === undefined ? {} : { limit }),
    ...(timeout === undefined ? {} : { timeoutMs: timeout * 1000 }),
  };
}

/** One line for the error, and with --json the same facts as JSON, on stderr; the exit code says which kind. */
function report(error: unknown, io: CliIo, json: boolean): number {
  const say = (text: string, fields: Record<string, unknown>, code: number): number => {
    io.stderr.write(json ? `${JSON.stringify({ error: fields })}\n` : `nexus: ${text}\n`);
    return code;
  };
  if (error instanceof UsageError) {
    io.stderr.write(`nexus: ${error.message}\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (error instanceof ApiError) {
    const fields = { type: error.type, code: error.code, status: error.status, message: error.message, param: error.param, request_id: error.requestId };
    return say(`${error.message}${error.requestId === null ? '' : ` [request ${error.requestId}]`}`, fields, EXIT.api);
  }
  if (error instanceof ConnectionError) return say(error.message, { type: 'connection_error', message: error.message }, EXIT.api);
  if (error instanceof JobFailedError) return say(error.message, { type: 'job_failed', job: error.job }, EXIT.jobFailed);
  if (error instanceof WaitTimeoutError)
    return say(`${error.message}; see it later with: nexus jobs get ${error.jobId}`, { type: 'timeout', job_id: error.jobId }, EXIT.timeout);
  return say(error instanceof Error ? error.message : String(error), { type: 'internal', message: String(error) }, EXIT.unexpected);
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr.write(`nexus: ${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help === true || command === undefined || command === 'help') {
    (values.help === true || command === 'help' ? io.stdout : io.stderr).write(`${USAGE}\n`);
    return values.help === true || command === 'help' ? EXIT.ok : EXIT.usage;
  }
  const run = COMMANDS[command];
  const json = values.json === true;
  try {
    if (run === undefined) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    const options = optionsOf(values);
    const apiKey = io.env['NEXUS_API_KEY'];
    if (apiKey === undefined || apiKey === '') throw new UsageError('set NEXUS_API_KEY (npm start prints a development key)');
    const baseURL = values['base-url'] ?? (io.env['NEXUS_BASE_URL'] || DEFAULT_BASE_URL);
    if (!/^https?:\/\/[^/]+/.test(baseURL)) throw new UsageError(`the base URL must be http(s)://host[:port], not ${JSON.stringify(baseURL)}`);
    const nexus = new Nexus({ apiKey, baseURL });
    // The bar only where a person watches; plain lines on a non-terminal stderr unless --json keeps it quiet.
    const progress = createJobProgress(io.stderr, io.stderr.isTTY === true || !json);
    await run({ nexus, positionals, options, progress, print: (text) => void io.stdout.write(`${text}\n`) });
    return EXIT.ok;
  } catch (error) {
    return report(error, io, json);
  }
}
