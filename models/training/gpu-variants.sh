#!/usr/bin/env bash
# Several gpu-train.sh runs side by side on the one lent GPU (these models are small: one run leaves most of
# the card idle), each "name=TRAIN_ARGS" into $OUT/name, sharing INIT_RUN, RESET_STAGES, DATA, TRAIN_LIMIT_S.
#   run: INIT_RUN=models/training/runs/final RESET_STAGES=edit_decoder_cont DATA=.cache/world-packed120 EVAL_N=0 \
#        bash models/training/gpu-variants.sh "plain=--set ar_cont_seconds=280" "diff2=--set ar_cont_seconds=280 --set ar_cont_diff_weight=2"
#   unpack: cat FILES_AT/NAME/gpu-out.tgz.* | tar xzf - -C models/training/runs/NAME
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
OUT="${OUT:-/tmp/nexus-gpu-out}"
for spec in "$@"; do
  name="${spec%%=*}"
  OUT="$OUT/$name" WORK="/tmp/nexus-gpu-work-$name" TRAIN_ARGS="${spec#*=}" bash "$here/gpu-train.sh" > "/tmp/gpu-$name.log" 2>&1 &
done
wait
for spec in "$@"; do name="${spec%%=*}"; echo "== $name"; tail -n 25 "/tmp/gpu-$name.log"; done
