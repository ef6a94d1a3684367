"""A picture of samples for the README: for generation records, the ground-truth render, the decoder on
ground-truth embeddings, on prefilled predictions and on token-by-token predictions; for edit records, the
source, the intended target and the editing decoder's output.

  python3 models/training/sample_grid.py --eval models/training/eval --world .cache/world/val --out models/training/samples.png
"""
import argparse
import json
import os

from PIL import Image


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", required=True)
    ap.add_argument("--world", required=True, help="the dataset folder the eval ran on (for ground-truth PNGs)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=8)
    ap.add_argument("--scale", type=int, default=2)
    args = ap.parse_args()
    res = json.load(open(os.path.join(args.eval, "results.json"), encoding="utf-8"))
    records = {}
    for name in os.listdir(args.world):
        if name.endswith(".jsonl"):
            for line in open(os.path.join(args.world, name), encoding="utf-8"):
                r = json.loads(line)
                records[r["id"]] = r
    gens, edits = res["generation"][: args.n], res["editing"][: args.n]
    rows = []
    for sub in (None, "generation_gt", "generation", "generation_tf"):
        rows.append([os.path.join(args.world, records[g["id"]]["images"][-1]) if sub is None
                     else os.path.join(args.eval, sub, g["id"] + ".png") for g in gens])
    for k in (0, -1, None):
        rows.append([os.path.join(args.world, records[e["id"]]["images"][k]) if k is not None
                     else os.path.join(args.eval, "editing", e["id"] + ".png") for e in edits])
    s = 64 * args.scale
    grid = Image.new("RGB", (s * args.n + 4, s * len(rows) + 4 * (len(rows) // 4)), (255, 255, 255))
    for i, row in enumerate(rows):
        for j, path in enumerate(row):
            grid.paste(Image.open(path).convert("RGB").resize((s, s), Image.NEAREST), (j * s, i * s + 4 * (i // 4)))
    grid.save(args.out)


if __name__ == "__main__":
    main()
