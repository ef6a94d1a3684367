// Which bundle the runtime's tests run against: the committed model when present, else the trainer's smoke
// bundle; NEXUS_TEST_BUNDLE points elsewhere (a developer's own export).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export function findTestBundle(): string | null {
  const candidates = [process.env['NEXUS_TEST_BUNDLE'], join(root, 'models/nexus-mini'), join(root, '.cache/smoke-bundle')];
  for (const dir of candidates) if (dir !== undefined && dir !== '' && existsSync(join(dir, 'manifest.json'))) return dir;
  return null;
}

export const NO_BUNDLE_MESSAGE = 'no model bundle: neither models/nexus-mini/ nor .cache/smoke-bundle/ has a manifest.json';
