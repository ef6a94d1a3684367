// Installs SST's platform types (.sst/platform, with the providers sst.config.ts names) when they are missing,
// so `npm run typecheck:infra` works from a fresh clone. It only installs: no AWS account is touched.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
const platform = join(root, '.sst', 'platform');

/** Providers in the last install's lock whose packages are gone (e.g. a cleaned node_modules). */
function missingProviders(): string[] {
  const lockPath = join(root, '.sst', 'provider-lock.json');
  if (!existsSync(lockPath)) return ['(no provider lock)'];
  const lock: unknown = JSON.parse(readFileSync(lockPath, 'utf8'));
  if (!Array.isArray(lock)) return ['(unreadable provider lock)'];
  const packages = lock.flatMap((entry: unknown) =>
    typeof entry === 'object' && entry !== null && 'package' in entry && typeof entry.package === 'string' ? [entry.package] : [],
  );
  return packages.filter((name) => !existsSync(join(platform, 'node_modules', name, 'package.json')));
}

const needed = !existsSync(join(platform, 'config.d.ts')) ? ['(no platform)'] : missingProviders();
if (needed.length > 0) {
  console.log(`installing SST platform types (${needed.join(', ')})`);
  const result = spawnSync('npx', ['sst', 'install', '--stage', 'dev'], {
    stdio: 'inherit',
    env: { ...process.env, SST_SKIP_DEPENDENCY_CHECK: 'true', SST_TELEMETRY_DISABLED: '1', SST_NO_BUN: '1' },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  if (!existsSync(join(platform, 'config.d.ts'))) {
    console.error('sst install finished but .sst/platform/config.d.ts is missing');
    process.exit(1);
  }
}
