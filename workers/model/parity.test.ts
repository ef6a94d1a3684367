// Stage-by-stage parity with the bundle's PyTorch goldens (max abs diff ≤ 1e-4), through the runtime's own
// sessions and its one session wrapper.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxAbsDiff, parseGoldens, toTensor, type Goldens } from './goldens.js';
import { loadModel, type RuntimeModel } from './index.js';
import { bundlePath } from './manifest.js';
import { runSession, type Sessions } from './sessions.js';
import { bundleForSuite } from '../../test/support/bundle.js';

const bundle = bundleForSuite('workers/model/parity.test.ts');

describe.skipIf(bundle === null)('parity with PyTorch goldens', () => {
  let model: RuntimeModel;
  let goldens: Goldens;

  beforeAll(async () => {
    model = await loadModel(bundle ?? '', { executionProviders: ['cpu'], intraOpThreads: 1 });
    const entry = model.manifest.files.goldens;
    if (entry === undefined) throw new Error('the bundle has no goldens.json');
    goldens = parseGoldens(JSON.parse(await readFile(bundlePath(bundle ?? '', entry.path), 'utf8')));
  });
  afterAll(async () => model?.close());

  const stages = ['vision_encoder', 'token_embedding', 'transformer', 'gen_decoder', 'edit_decoder'] as const;
  it.each(stages)('%s matches within 1e-4', async (stage) => {
    const cases = goldens[stage] ?? [];
    expect(cases.length).toBeGreaterThan(0);
    const sessions: Sessions = model.context.sessions;
    for (const c of cases) {
      const feeds = Object.fromEntries(Object.entries(c.inputs).map(([name, t]) => [name, toTensor(t)]));
      const out = await runSession(sessions[stage], feeds);
      for (const [name, expected] of Object.entries(c.outputs)) {
        const actual = out[name];
        expect(actual, `${stage} output ${name}`).toBeDefined();
        if (actual !== undefined) expect(maxAbsDiff(actual, expected), `${stage}.${name}`).toBeLessThanOrEqual(1e-4);
      }
    }
  });
});
