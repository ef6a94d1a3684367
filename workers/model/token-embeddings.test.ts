// The token-embedding cache serves exactly the graph's rows and skips the call once every id is known.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type RuntimeModel } from './index.js';
import { floatData, int64Tensor, type StageSession } from './sessions.js';
import { bundleForSuite } from '../../test/support/bundle.js';
import { createTokenEmbedder } from './token-embeddings.js';

const bundle = bundleForSuite('workers/model/token-embeddings.test.ts');

describe.skipIf(bundle === null)('token-embedding row cache', () => {
  let model: RuntimeModel;
  beforeAll(async () => {
    model = await loadModel(bundle ?? '', { executionProviders: ['cpu'], intraOpThreads: 1 });
  });
  afterAll(async () => model?.close());

  it("gives the graph's exact rows, from the cache once the ids are known", async () => {
    const stage = model.context.sessions.token_embedding;
    let calls = 0;
    const counted: StageSession = {
      ...stage,
      session: Object.assign(Object.create(stage.session) as typeof stage.session, {
        run: (...a: Parameters<typeof stage.session.run>) => ((calls += 1), stage.session.run(...a)),
      }),
    };
    const hidden = model.manifest.hidden_size;
    const st = model.manifest.special_tokens;
    const embedder = await createTokenEmbedder(counted, hidden, [st.boi, st.eoi]);
    expect(embedder.cached).toBe(true);
    expect(calls).toBe(2); // the load-time probe
    const ids = [10, 11, 12, 10, 13, 14];
    const direct = floatData((await stage.session.run({ input_ids: int64Tensor(ids, [2, 3]) }))['inputs_embeds'], 'inputs_embeds');
    const first = await embedder.embed(ids, 2, 3);
    expect(calls).toBe(3);
    const again = await embedder.embed([14, 12, 11, 10], 4, 1);
    expect(calls).toBe(3);
    expect(Array.from(first)).toEqual(Array.from(direct));
    const row = (a: Float32Array, k: number): number[] => Array.from(a.subarray(k * hidden, (k + 1) * hidden));
    expect([row(again, 0), row(again, 1), row(again, 2), row(again, 3)]).toEqual([row(direct, 5), row(direct, 2), row(direct, 1), row(direct, 0)]);
    await expect(embedder.embed([1, 2, 3], 2, 2)).rejects.toThrow('token_embedding: 3 ids for [2, 2]');
  });
});
