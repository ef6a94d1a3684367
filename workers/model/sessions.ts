// ONNX sessions: created once per bundle, with the execution providers the config asks for and no silent
// fallback. Every call goes through `runSession`, which checks input names and logs shapes on failure.
import { errorText } from '../../shared/error-text.js';
import { createLogger } from '../../shared/log.js';
import * as ort from 'onnxruntime-node';
import { ModelError } from './errors.js';
import { bundlePath, type Manifest, type StageName } from './manifest.js';

const modelLog = createLogger({ component: 'model', write: (line) => console.error(line) });

export type ExecutionProvider = 'cuda' | 'cpu';
export type Feeds = Record<string, ort.Tensor>;
export type Outputs = Record<string, ort.Tensor>;

export interface StageSession {
  readonly stage: StageName;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Element type each input expects, from the graph (e.g. a decoder's drop flag may be float or int64). */
  inputType(name: string): ort.Tensor.Type | undefined;
  readonly session: ort.InferenceSession;
}

export interface CreateSessionOptions {
  executionProviders: readonly ExecutionProvider[];
  intraOpThreads?: number;
  allowSpinning?: boolean;
  /** Needed for stages with external data, which load from their path. */
  bundleDir?: string;
}

function providerAvailable(provider: ExecutionProvider): boolean {
  return ort.listSupportedBackends().some((b) => b.name === provider);
}

export async function createStageSession(
  stage: StageName,
  /** The graph's bytes, or its path when its weights are external data beside it. */
  model: Uint8Array | string,
  expected: { inputs: readonly string[]; outputs: readonly string[] },
  options: CreateSessionOptions,
): Promise<StageSession> {
  if (options.executionProviders.length === 0) throw new ModelError('invalid_request', 'executionProviders must name at least one provider');
  for (const provider of options.executionProviders) {
    if (!providerAvailable(provider)) {
      throw new ModelError('provider_unavailable', `execution provider "${provider}" is not available in this onnxruntime-node build`);
    }
  }
  let session: ort.InferenceSession;
  try {
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      executionProviders: [...options.executionProviders],
      graphOptimizationLevel: 'all',
      ...(options.intraOpThreads === undefined ? {} : { intraOpNumThreads: options.intraOpThreads, interOpNumThreads: 1 }),
      logSeverityLevel: 3,
      ...(options.allowSpinning === undefined ? {} : { extra: { session: { intra_op: { allow_spinning: options.allowSpinning ? '1' : '0' } } } }),
    };
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
  } catch (cause) {
    const requested = options.executionProviders.join(', ');
    const reason = errorText(cause);
    // ORT reports a provider whose shared library is missing (e.g. CUDA without the cuda12 install) only here.
    const code = options.executionProviders.some((p) => p !== 'cpu') && /provider|shared library|cuda/i.test(reason) ? 'provider_unavailable' : 'session_failed';
    throw new ModelError(code, `cannot create the ${stage} session with execution providers [${requested}]: ${reason}`, { cause });
  }
  const missingIn = expected.inputs.filter((n) => !session.inputNames.includes(n));
  const missingOut = expected.outputs.filter((n) => !session.outputNames.includes(n));
  if (missingIn.length > 0 || missingOut.length > 0) {
    await session.release();
    throw new ModelError(
      'bundle_invalid',
      `${stage}: manifest names missing from the graph (inputs: ${missingIn.join(', ') || '-'}; outputs: ${missingOut.join(', ') || '-'})`,
    );
  }
  const types = new Map<string, ort.Tensor.Type>();
  for (const meta of session.inputMetadata) if (meta.isTensor) types.set(meta.name, meta.type);
  return {
    stage,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputType: (name) => types.get(name),
    session,
  };
}

function describe(feeds: Feeds): string {
  return Object.entries(feeds)
    .map(([name, t]) => `${name}:${t.type}[${t.dims.join(',')}]`)
    .join(' ');
}

/** The one wrapper every session call goes through. */
export async function runSession(stage: StageSession, feeds: Feeds): Promise<Outputs> {
  const given = Object.keys(feeds);
  const missing = stage.inputNames.filter((n) => !(n in feeds));
  const unknown = given.filter((n) => !stage.inputNames.includes(n));
  if (missing.length > 0 || unknown.length > 0) {
    throw new ModelError('session_failed', `${stage.stage}: wrong inputs (missing: ${missing.join(', ') || '-'}; unknown: ${unknown.join(', ') || '-'})`, {
      retryable: false,
    });
  }
  try {
    return await stage.session.run(feeds);
  } catch (cause) {
    const shapes = describe(feeds);
    modelLog('onnx_session_call_failed', { level: 'error', stage: stage.stage, shapes });
    const reason = errorText(cause);
    throw new ModelError('session_failed', `${stage.stage} failed on ${shapes}: ${reason}`, { cause, retryable: true });
  }
}

export type Sessions = Record<Exclude<StageName, 'vae_decoder'>, StageSession> & { vae_decoder?: StageSession };

function stageSource(
  entry: { path: string; external_data?: unknown[] | undefined },
  data: Uint8Array | undefined,
  options: CreateSessionOptions,
): Uint8Array | string | undefined {
  if (entry.external_data === undefined) return data;
  if (options.bundleDir === undefined) throw new ModelError('bundle_invalid', `${entry.path} has external data: the bundle folder is needed to load it`);
  return bundlePath(options.bundleDir, entry.path);
}

export async function createSessions(manifest: Manifest, files: Map<string, Uint8Array>, options: CreateSessionOptions): Promise<Sessions> {
  const stages: StageName[] = ['vision_encoder', 'token_embedding', 'transformer', 'gen_decoder', 'edit_decoder'];
  if (manifest.files.vae_decoder !== undefined) stages.push('vae_decoder');
  const created = new Map<StageName, StageSession>();
  try {
    for (const stage of stages) {
      const entry = manifest.files[stage];
      const data = entry === undefined ? undefined : stageSource(entry, files.get(stage), options);
      if (entry === undefined || data === undefined) throw new ModelError('bundle_invalid', `bundle has no ${stage} file`);
      created.set(stage, await createStageSession(stage, data, { inputs: entry.inputs, outputs: entry.outputs }, options));
    }
  } catch (error) {
    await Promise.all([...created.values()].map((s) => s.session.release()));
    throw error;
  }
  const get = (stage: StageName): StageSession => {
    const s = created.get(stage);
    if (s === undefined) throw new ModelError('bundle_invalid', `bundle has no ${stage} session`);
    return s;
  };
  const vae = created.get('vae_decoder');
  return {
    vision_encoder: get('vision_encoder'),
    token_embedding: get('token_embedding'),
    transformer: get('transformer'),
    gen_decoder: get('gen_decoder'),
    edit_decoder: get('edit_decoder'),
    ...(vae === undefined ? {} : { vae_decoder: vae }),
  };
}

export async function releaseSessions(sessions: Sessions): Promise<void> {
  await Promise.all(Object.values(sessions).map((s: StageSession) => s.session.release()));
}

/** A float32 tensor, or int64 when the graph asks for it (flags such as drop_condition). */
export function numericTensor(stage: StageSession, name: string, values: readonly number[], dims: readonly number[]): ort.Tensor {
  const type = stage.inputType(name) ?? 'float32';
  if (type === 'int64')
    return new ort.Tensor(
      'int64',
      BigInt64Array.from(values, (v) => BigInt(v)),
      dims,
    );
  if (type === 'bool')
    return new ort.Tensor(
      'bool',
      Uint8Array.from(values, (v) => (v ? 1 : 0)),
      dims,
    );
  if (type === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
  return new ort.Tensor('float32', Float32Array.from(values), dims);
}

export function int64Tensor(values: readonly number[], dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

export function floatData(tensor: ort.Tensor | undefined, what: string): Float32Array {
  if (tensor === undefined || !(tensor.data instanceof Float32Array)) throw new ModelError('session_failed', `${what} is missing or not float32`);
  return tensor.data;
}
