// The package as a customer gets it: its types are the API's (regenerated from the running app's /openapi.json,
// they must equal the checked-in file), and it builds with tsc against no Node types at all, so it uses only what
// every runtime has.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { apiDocument, CLIENT_TYPES_PATH, renderClientTypes } from '../../../scripts/client-types.js';

const run = promisify(execFile);
const PACKAGE = join(import.meta.dirname, '..');

describe('@nexus/client', () => {
  it('has the types of the API as it is now (npm run generate:client after an API change)', async () => {
    const current = await renderClientTypes(await apiDocument());
    expect(await readFile(CLIENT_TYPES_PATH, 'utf8')).toBe(current);
    // The events route is part of what the client is typed against.
    expect(current).toContain('"/v1/jobs/{id}/events"');
  });

  it('builds with tsc and no Node types (fetch, Web Crypto and streams only), and the build imports', async () => {
    const tsc = join(PACKAGE, '../../node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', join(PACKAGE, 'tsconfig.json')], { cwd: PACKAGE });
    const built: Record<string, unknown> = await import(join(PACKAGE, 'dist/index.js'));
    expect(typeof built.Nexus).toBe('function');
    expect(typeof built.NotFoundError).toBe('function');
  }, 120_000);
});
