// The model the platform advertises is the model it ships: the API's default catalog (GET /v1/models, the
// `model@version` on jobs) and the infra's default bundle location name the committed bundle's manifest.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODELS } from '../../functions/api/platform-deps.js';
import { DEFAULT_MODEL, modelBundleUri } from '../../infra/config.js';

const manifest = JSON.parse(readFileSync(new URL('../../models/nexus-mini/manifest.json', import.meta.url), 'utf8')) as { name: string; version: string };

describe('bundle version', () => {
  it('the API catalog and the infra default are the committed bundle', () => {
    expect(DEFAULT_MODELS.map((m) => `${m.name}@${m.version}`)).toEqual([`${manifest.name}@${manifest.version}`]);
    expect(DEFAULT_MODEL).toEqual({ name: manifest.name, version: manifest.version });
    expect(modelBundleUri({ ...DEFAULT_MODEL, bundleUri: null }, 'app-bucket')).toBe(`s3://app-bucket/models/nexus-mini/${manifest.version}/`);
  });
});
