// Token ids → input embeddings through the bundle's token_embedding graph, with a per-id row cache: the text
// loop feeds one token per sequence per step, so after the first few calls every id it sees is known and the
// step needs no session call at all (a call's fixed overhead costs more than the lookup; workers/model/README.md).
// The cache is used only when the graph is checked, once, to be a pure per-id lookup (the same id gives the
// same bits wherever it sits in the batch); any other embedding graph is called every time.
import { ModelError } from './errors.js';
import { floatData, int64Tensor, runSession, type StageSession } from './sessions.js';

export interface TokenEmbedder {
  /** Embeddings [batch × width × hidden] for ids laid out [batch × width]. */
  embed(ids: readonly number[], batch: number, width: number): Promise<Float32Array>;
  /** Whether rows are served from the cache (false when the graph is not a per-id lookup). */
  readonly cached: boolean;
}

/** Ids this many and fewer are cached; a huge vocabulary keeps only the ids it has seen, bounded here. */
const MAX_CACHED_IDS = 65536;

async function callGraph(stage: StageSession, ids: readonly number[], batch: number, width: number): Promise<Float32Array> {
  const out = await runSession(stage, { input_ids: int64Tensor(ids, [batch, width]) });
  return floatData(out['inputs_embeds'], 'inputs_embeds');
}

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/** True when the graph maps each id to one row, independent of its position and of the batch around it. */
async function isPerIdLookup(stage: StageSession, hidden: number, probe: readonly [number, number]): Promise<boolean> {
  const [a, b] = probe;
  const wide = await callGraph(stage, [a, b, a, b, a, b], 2, 3);
  const one = await callGraph(stage, [b], 1, 1);
  if (wide.length !== 6 * hidden || one.length !== hidden) return false;
  const row = (k: number): Float32Array => wide.subarray(k * hidden, (k + 1) * hidden);
  return sameBits(row(0), row(2)) && sameBits(row(0), row(4)) && sameBits(row(1), row(3)) && sameBits(row(1), row(5)) && sameBits(row(1), one);
}

export async function createTokenEmbedder(stage: StageSession, hidden: number, probe: readonly [number, number]): Promise<TokenEmbedder> {
  const cached = await isPerIdLookup(stage, hidden, probe);
  const rows = new Map<number, Float32Array>();
  return {
    cached,
    async embed(ids, batch, width) {
      if (ids.length !== batch * width) throw new ModelError('session_failed', `token_embedding: ${ids.length} ids for [${batch}, ${width}]`);
      if (cached && ids.every((id) => rows.has(id))) {
        const out = new Float32Array(ids.length * hidden);
        ids.forEach((id, k) => {
          const row = rows.get(id);
          if (row !== undefined) out.set(row, k * hidden);
        });
        return out;
      }
      const out = await callGraph(stage, ids, batch, width);
      if (out.length !== ids.length * hidden) throw new ModelError('session_failed', `token_embedding returned ${out.length} values, expected ${ids.length * hidden}`);
      if (cached && rows.size < MAX_CACHED_IDS) {
        ids.forEach((id, k) => {
          if (!rows.has(id)) rows.set(id, out.slice(k * hidden, (k + 1) * hidden));
        });
      }
      return out;
    },
  };
}
