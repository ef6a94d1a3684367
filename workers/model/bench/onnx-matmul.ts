// A one-node ONNX graph (C = A·B, float32, fixed shapes) written in-process, so a benchmark can measure what
// onnxruntime's MatMul reaches on this machine: the peak the decoder's throughput is judged against.
// Only the few protobuf fields such a model needs are encoded.

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const utf8 = new TextEncoder();

function field(number: number, wireType: 0 | 2, payload: number[] | Uint8Array): number[] {
  const key = varint(number * 8 + wireType);
  return wireType === 0 ? [...key, ...payload] : [...key, ...varint(payload.length), ...payload];
}

const int = (n: number, v: number): number[] => field(n, 0, varint(v));
const str = (n: number, s: string): number[] => field(n, 2, utf8.encode(s));
const msg = (n: number, body: number[]): number[] => field(n, 2, body);

const FLOAT = 1;

function valueInfo(name: string, dims: readonly number[]): number[] {
  const shape = dims.flatMap((d) => msg(1, int(1, d)));
  const tensorType = [...int(1, FLOAT), ...msg(2, shape)];
  return [...str(1, name), ...msg(2, msg(1, tensorType))];
}

export function matmulModel(m: number, k: number, n: number): Uint8Array {
  const node = [...str(1, 'A'), ...str(1, 'B'), ...str(2, 'C'), ...str(3, 'matmul'), ...str(4, 'MatMul')];
  const graph = [...msg(1, node), ...str(2, 'peak'), ...msg(11, valueInfo('A', [m, k])), ...msg(11, valueInfo('B', [k, n])), ...msg(12, valueInfo('C', [m, n]))];
  const opset = [...str(1, ''), ...int(2, 17)];
  return Uint8Array.from([...int(1, 8), ...msg(7, graph), ...msg(8, opset)]);
}
