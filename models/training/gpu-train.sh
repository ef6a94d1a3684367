#!/usr/bin/env bash
# The full nexus-mini training on the lent GPU machine, as one command (device time is scarce and counted):
# every stage, the ablation and the evaluation outputs. Work happens in $WORK; on exit (also on a timeout's
# TERM) the results are packed into $OUT as a few gzip'd tar chunks of <= 15 MB, because the device tool
# returns only a handful of files and none that is large. Unpack here with:
#   cat FILES_AT/gpu-out.tgz.* | tar xzf - -C models/training/runs/gpu
# Export to ONNX happens afterwards on the CPU machine (torch 1.13 + the onnxruntime-node parity check).
#   run: bash models/training/gpu-train.sh   (carry .cache/world-packed)
set -uo pipefail
cd "$(dirname "$0")/../.."
OUT="${OUT:-/tmp/nexus-gpu-out}"
WORK="${WORK:-/tmp/nexus-gpu-work}"
DATA="${DATA:-.cache/world-packed}"
PY="${PY:-/opt/torch/.venv/bin/python3}"
[ -x "$PY" ] || PY=python3
mkdir -p "$OUT" "$WORK"

pack() {
  # resume state and the image-token table (~460 MB; recomputed from the encoder) stay behind
  rm -f "$WORK"/run/ckpt/*.resume.pt "$WORK"/run/ckpt/image_table.npy
  tar czf - -C "$WORK" . | split -b 15000000 - "$OUT/gpu-out.tgz."
  ls -la "$OUT"
}
trap pack EXIT

# INIT_RUN: start from a finished run folder (copied to $WORK/run); RESET_STAGES: its stages to run again
if [ -n "${INIT_RUN:-}" ]; then
  mkdir -p "$WORK/run" && cp -r "$INIT_RUN"/. "$WORK/run/"
  "$PY" -c 'import json, sys
p = sys.argv[1]; s = json.load(open(p))
for k in sys.argv[2:]: s["stages"].pop(k, None)
json.dump(s, open(p, "w"), indent=1)' "$WORK/run/state.json" ${RESET_STAGES:-}
fi
{ nvidia-smi -L; "$PY" -c "import torch; print(torch.__version__, torch.cuda.is_available())"; } 2>&1 | tee "$WORK/env.txt"
start=$(date +%s)
# TRAIN_LIMIT_S: a hard stop inside the device call's own limit, so that the EXIT trap still packs what finished
timeout -s INT "${TRAIN_LIMIT_S:-600}" "$PY" models/training/train.py --data "$DATA/train" --preset gpu --out "$WORK/run" --device "${DEVICE:-cuda}" ${TRAIN_ARGS:-} 2>&1 | tee "$WORK/train.log"
train_rc=${PIPESTATUS[0]}
echo "train rc=$train_rc after $(( $(date +%s) - start ))s" | tee -a "$WORK/train.log"
if [ "$train_rc" = 0 ] && [ "${EVAL_N:-300}" != 0 ]; then  # EVAL_N=0: evaluate afterwards on the CPU machine
  rm -f "$WORK"/run/ckpt/transformer_*.*.npz  # per-sub-stage copies, only needed to resume
  "$PY" models/training/evaluate.py --run "$WORK/run" --data "$DATA/val" --out "$WORK/eval" --n "${EVAL_N:-300}" --device "${DEVICE:-cuda}" ${EVAL_ARGS:-} 2>&1 | tee "$WORK/eval.log"
fi
echo "total $(( $(date +%s) - start ))s"
