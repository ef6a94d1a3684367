// The bundle lookup of the model suites: skips locally without a bundle, fails in CI.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleForSuite, findTestBundle, isCi, MissingBundleError, NO_BUNDLE_MESSAGE } from './bundle.js';

const empty = mkdtempSync(join(tmpdir(), 'bundle-test-empty-'));
const full = mkdtempSync(join(tmpdir(), 'bundle-test-full-'));
writeFileSync(join(full, 'manifest.json'), '{}');
afterAll(() => {
  rmSync(empty, { recursive: true, force: true });
  rmSync(full, { recursive: true, force: true });
});

describe('test bundle lookup', () => {
  it('takes the first candidate that holds a manifest.json', () => {
    expect(findTestBundle([undefined, '', empty, full])).toBe(full);
    expect(findTestBundle([empty])).toBeNull();
  });

  it('reads CI the way CI providers set it', () => {
    expect(isCi({ CI: 'true' })).toBe(true);
    expect(isCi({ CI: '1' })).toBe(true);
    expect(isCi({ CI: 'false' })).toBe(false);
    expect(isCi({ CI: '0' })).toBe(false);
    expect(isCi({ CI: '' })).toBe(false);
    expect(isCi({})).toBe(false);
  });

  it('a missing bundle fails in CI and skips elsewhere; a present one is returned either way', () => {
    expect(() => bundleForSuite('parity', { dir: null, env: { CI: 'true' } })).toThrow(MissingBundleError);
    expect(() => bundleForSuite('parity', { dir: null, env: { CI: 'true' } })).toThrow(`parity: ${NO_BUNDLE_MESSAGE}`);
    expect(bundleForSuite('parity', { dir: null, env: {} })).toBeNull();
    expect(bundleForSuite('parity', { dir: full, env: { CI: 'true' } })).toBe(full);
  });
});
