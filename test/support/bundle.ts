// Which model bundle the model and worker tests run against: the committed model when present, else the
// trainer's smoke bundle; NEXUS_TEST_BUNDLE points elsewhere (a developer's own export). Without any, a
// suite skips on a developer's machine (with a warning) but fails in CI (`CI` set), so CI cannot pass by
// skipping the suites that need the model.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export const NO_BUNDLE_MESSAGE = 'no model bundle: neither models/nexus-mini/ nor .cache/smoke-bundle/ has a manifest.json';

export class MissingBundleError extends Error {}

/** The first candidate directory that holds a manifest.json, or null. */
export function findTestBundle(
  candidates: readonly (string | undefined)[] = [process.env['NEXUS_TEST_BUNDLE'], join(ROOT, 'models/nexus-mini'), join(ROOT, '.cache/smoke-bundle')],
): string | null {
  for (const dir of candidates) if (dir !== undefined && dir !== '' && existsSync(join(dir, 'manifest.json'))) return dir;
  return null;
}

/** True when the environment says it is CI (`CI` set to anything but empty, `0` or `false`). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env['CI'];
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/**
 * The bundle for the suite named `suite`, or null (the suite skips) when there is none. In CI a missing bundle
 * throws MissingBundleError while the test file loads, which fails the file instead of skipping it.
 */
export function bundleForSuite(suite: string, options: { dir?: string | null; env?: NodeJS.ProcessEnv } = {}): string | null {
  const dir = options.dir === undefined ? findTestBundle() : options.dir;
  if (dir !== null) return dir;
  if (isCi(options.env)) throw new MissingBundleError(`${suite}: ${NO_BUNDLE_MESSAGE} (CI must run every model suite, not skip it)`);
  console.warn(`${suite} skipped: ${NO_BUNDLE_MESSAGE}`);
  return null;
}
