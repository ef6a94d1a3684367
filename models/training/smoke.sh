#!/usr/bin/env bash
# `npm run train:smoke`: the whole trainer in miniature (tiny dims, a few steps) on a freshly generated small
# world, then evaluation and ONNX export with the onnxruntime-node parity check. Writes only to a temp dir
# (or to SMOKE_BUNDLE_OUT, e.g. .cache/smoke-bundle), never to models/nexus-mini.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY="${PY:-/usr/bin/python3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npx tsx scripts/world.ts --out "$tmp/world" --n 160 --seed 5 --split train > /dev/null
"$PY" models/training/train.py --smoke --data "$tmp/world" --out "$tmp/run" --limit 160
"$PY" models/training/evaluate.py --run "$tmp/run" --data "$tmp/world" --out "$tmp/eval" --n 6 --steps 2 --timing-repeats 2
npx tsx scripts/eval-training.ts --dir "$tmp/eval"
"$PY" models/training/export.py --run "$tmp/run" --out "${SMOKE_BUNDLE_OUT:-$tmp/bundle}"
# the decoders-only continuation from that bundle (finetune_decoders.py), exported and parity-checked again
"$PY" models/training/finetune_decoders.py --bundle "${SMOKE_BUNDLE_OUT:-$tmp/bundle}" --data "$tmp/world" --out "$tmp/ft" \
  --set dec_batch=8 --set gen_seconds=3 --set edit_seconds=3 --set log_every=1
"$PY" models/training/export.py --run "$tmp/ft" --out "$tmp/ft-bundle"
