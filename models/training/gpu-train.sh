#!/usr/bin/env bash
# The full nexus-mini training on the lent GPU machine, as one command (device time is scarce and counted):
# every stage, the ablation and the evaluation outputs, written into $OUT as they finish, so a timeout still
# returns the finished stages. Export to ONNX happens afterwards on the CPU machine (torch 1.13 + the
# onnxruntime-node parity check), from $OUT/run's .npz checkpoints.
#   run: bash models/training/gpu-train.sh   (carry .cache/world-packed)
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-/tmp/nexus-gpu-out}"
DATA="${DATA:-.cache/world-packed}"
PY="${PY:-/opt/torch/.venv/bin/python3}"
[ -x "$PY" ] || PY=python3
mkdir -p "$OUT"
{ nvidia-smi -L; "$PY" -c "import torch; print(torch.__version__, torch.cuda.is_available())"; } 2>&1 | tee "$OUT/env.txt"
start=$(date +%s)
"$PY" models/training/train.py --data "$DATA/train" --preset gpu --out "$OUT/run" --device "${DEVICE:-cuda}" ${TRAIN_ARGS:-} 2>&1 | tee "$OUT/train.log"
train_rc=${PIPESTATUS[0]}
echo "train rc=$train_rc after $(( $(date +%s) - start ))s" | tee -a "$OUT/train.log"
if [ "$train_rc" = 0 ]; then
  "$PY" models/training/evaluate.py --run "$OUT/run" --data "$DATA/val" --out "$OUT/eval" --n "${EVAL_N:-300}" --device "${DEVICE:-cuda}" ${EVAL_ARGS:-} 2>&1 | tee "$OUT/eval.log"
fi
# resumable in-stage state is only useful on this machine; keep what comes back small
rm -f "$OUT"/run/ckpt/*.resume.pt
[ "${train_rc:-1}" = 0 ] && rm -f "$OUT"/run/ckpt/transformer_*.*.npz
echo "total $(( $(date +%s) - start ))s"
