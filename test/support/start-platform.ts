// startPlatform(): `npm start` as a user runs it (scripts/start.ts in a child process on a random loopback port),
// resolved once its ready line is out. Used by the start tests and the playground's browser test.
//
//   const platform = await startPlatform({ dataDir, apiKey: 'sk_dev_test_…' });
//   await fetch(`${platform.url}/health`);
//   platform.child.kill('SIGTERM'); await platform.exited;
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface StartedPlatform {
  child: ChildProcess;
  url: string;
  /** The ready line's fields. */
  ready: Record<string, unknown>;
  requeued: number;
  released: number;
  /** Everything the process printed so far (stdout and stderr). */
  printed(): string;
  exited: Promise<number | null>;
}

export interface StartPlatformOptions {
  dataDir: string;
  apiKey: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export function startPlatform(options: StartPlatformOptions): Promise<StartedPlatform> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: options.dataDir,
      DEV_API_KEY: options.apiKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const timeoutMs = options.readyTimeoutMs ?? 90_000;
  return new Promise((done, fail) => {
    let output = '';
    let isReady = false;
    const timer = setTimeout(() => fail(new Error(`no ready line in ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (isReady) return;
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry: unknown = JSON.parse(line);
        if (typeof entry === 'object' && entry !== null && 'event' in entry && entry.event === 'ready' && 'url' in entry && 'requeued_jobs' in entry) {
          clearTimeout(timer);
          isReady = true;
          const ready: Record<string, unknown> = { ...entry };
          const released = 'released_running_jobs' in entry ? Number(entry.released_running_jobs) : Number.NaN;
          done({ child, url: String(entry.url), ready, requeued: Number(entry.requeued_jobs), released, printed: () => output, exited });
          return;
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code} before ready:\n${output}`));
    });
  });
}
