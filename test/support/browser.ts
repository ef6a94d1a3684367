// launchBrowser(): Debian's Chromium driven by playwright-core, headless, with the team's flags, a fresh profile
// directory, and every request that is not to loopback aborted (and recorded, so a test can assert none left).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { isCi } from './bundle.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether Chromium is installed for a browser suite. Locally a missing one skips the suite with a warning (the
 * README's test command works on a fresh machine); in CI (`CI` set) it fails the suite instead, as a missing
 * model bundle does (test/support/bundle.ts).
 */
export function browserForSuite(suite: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync(CHROMIUM)) return true;
  const missing = `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (isCi(env)) throw new Error(`${suite}: ${missing}; CI must run the browser suites, not skip them`);
  console.warn(`${suite} skipped: ${missing}`);
  return false;
}
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface Browser {
  context: BrowserContext;
  /** Requests the loopback guard aborted. */
  blocked: string[];
  close(): Promise<void>;
}

const isLoopback = (url: URL): boolean => url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';

export async function launchBrowser(options: { viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'nexus-chromium-'));
  // launchPersistentContext passes the fresh directory as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: options.viewport ?? { width: 900, height: 1000 },
  });
  const blocked: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === 'blob:' || url.protocol === 'data:' || isLoopback(url)) return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  return {
    context,
    blocked,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
