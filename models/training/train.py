"""nexus-mini trainer: encoder -> transformers (prefilled + teacher-forced ablation) -> generation decoder ->
editing decoder. Reproducible from --seed, resumable (rerun with the same --out), --smoke for CI.

  python3 models/training/train.py --data .cache/world/train --preset cpu --out models/training/runs/cpu
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ar_batches import build_arrays, to_device  # noqa: E402
from checkpoint import RunState  # noqa: E402
from data import load_any, special_ids  # noqa: E402
from train_ar import continue_prefill_on_edits, predict_prefilled, train_transformers  # noqa: E402
from train_decoders import (continue_decoder, edit_records, edit_sampler, gen_records, gen_sampler, image_of,  # noqa: E402
                            train_edit_decoder, train_gen_decoder)
from train_encoder import embed_images, pretrain_encoder  # noqa: E402

BASE = {"seed": 0, "dim": 128, "enc_width": 48, "layers": 4, "heads": 4, "max_positions": 512,
        "dec_arch": "grid", "dec_width": 128, "dec_depth": 3, "dec_heads": 4, "dec_patch": 16, "dec_head_hidden": 512,
        "dec_predict": "x0", "dec_objective": "velocity", "dec_t_sampling": "mixed", "gen_pred_share": 1.0, "p_drop": 0.1, "clean_per_task": 500,
        "enc_lr": 1e-3, "ar_lr": 5e-4, "dec_lr": 1e-3, "enc_batch": 128, "ar_batch": 64, "dec_batch": 64,
        "save_every": 500, "log_every": 100}
PRESETS = {
    # CI: tiny dims, a few steps, to prove the whole pipeline (and the export) cannot rot.
    "smoke": {**BASE, "dim": 32, "enc_width": 8, "layers": 2, "heads": 2, "dec_width": 32, "dec_depth": 1,
              "dec_heads": 2, "clean_per_task": 20, "enc_batch": 16, "ar_batch": 8, "dec_batch": 8,
              "enc_steps": 6, "ar_steps": 12, "gen_steps": 6, "edit_steps": 6,
              "enc_seconds": 60, "ar_seconds": 60, "gen_seconds": 60, "edit_seconds": 60,
              "ar_cont_seconds": 2, "ar_cont_diff_weight": 2.0, "ar_cont_chain_repeat": 2, "cont_edit_seconds": 2},
    # This 2-core machine, ~60 minutes in all.
    "cpu": {**BASE, "enc_steps": 600, "ar_steps": 1500, "gen_steps": 2500, "edit_steps": 800,
            "enc_seconds": 300, "ar_seconds": 1000, "gen_seconds": 1500, "edit_seconds": 500},
    # One GPU for ~9 minutes of training: same bundle dims (the 30 MB limit holds), big batches (a model this small
    # is launch-bound, so a bigger batch costs almost no time per step), bound by the seconds (the device budget),
    # not the steps; the cosine LR follows max(step, time) fraction, so each stage still anneals; the steps each
    # stage reached are recorded in state.json.
    "gpu": {**BASE, "enc_batch": 512, "ar_batch": 256, "dec_batch": 512, "save_every": 0, "log_every": 500,
            "enc_steps": 100000, "ar_steps": 100000, "gen_steps": 200000, "edit_steps": 100000,
            "enc_seconds": 60, "ar_seconds": 190, "gen_seconds": 170, "edit_seconds": 90},
}


def pick_device(name):
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    dev = torch.device(name)
    if dev.type == "cpu":
        torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    else:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return dev


def dataset_root(path):
    """The folder holding tokenizer.json / world.json next to a dataset dir or a packed prefix."""
    return path if os.path.isdir(path) else os.path.dirname(os.path.abspath(path))


def subset(images, records, limit):
    """The first `limit` records and only the images they use (renumbered)."""
    records = records[:limit]
    used = sorted({g for r in records for g in r["image_ids"]})
    remap = {g: i for i, g in enumerate(used)}
    for r in records:
        r["image_ids"] = [remap[g] for g in r["image_ids"]]
    return images[used], records


def cached_table(out, enc, images, device):
    """Every image's encoder tokens, computed once per run folder (minutes on the 2-core CPU; the encoder is
    frozen once its stage is done, so a resumed run reuses them)."""
    path = os.path.join(out, "ckpt", "image_table.npy")
    if os.path.exists(path):
        table = np.load(path)
        if table.shape[0] == len(images):
            return torch.from_numpy(table).to(device)
    table = embed_images(enc, images, device)
    np.save(path, table.cpu().numpy())
    return table


def run(args):
    cfg = dict(PRESETS[args.preset])
    cfg["seed"] = args.seed
    for kv in args.set or []:
        k, v = kv.split("=", 1)
        cfg[k] = type(BASE.get(k, PRESETS[args.preset].get(k, 0.0)))(v)
    device = pick_device(args.device)
    torch.manual_seed(cfg["seed"])
    np.random.seed(cfg["seed"])
    os.makedirs(args.out, exist_ok=True)
    state = RunState(args.out)
    t0 = time.time()
    images, records = load_any(args.data)
    if args.limit:
        images, records = subset(images, records, args.limit)
    root = dataset_root(args.data)
    special, vocab_size, _ = special_ids(os.path.join(root, "tokenizer.json"), 16)
    cfg.update({"vocab_size": vocab_size, "special": special, "device": str(device), "preset": args.preset,
                "data": args.data, "records": len(records), "images": int(len(images))})
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=1)
    for name in ("tokenizer.json", "world.json"):
        if os.path.exists(os.path.join(root, name)):
            shutil.copy(os.path.join(root, name), os.path.join(args.out, name))
    print(f"data: {len(records)} records, {len(images)} images, vocab {vocab_size}, {time.time() - t0:.1f}s", flush=True)

    enc = pretrain_encoder(cfg, state, images, records, device)
    for p in enc.parameters():
        p.requires_grad_(False)
    table = cached_table(args.out, enc, images, device).reshape(-1, cfg["dim"])
    arrays = to_device(build_arrays(records, 16, special["pad"]), device)
    ar = train_transformers(cfg, state, records, arrays, table, vocab_size, device)
    ar["prefill"] = continue_prefill_on_edits(cfg, state, records, arrays, table, ar["prefill"], device)
    gidx = gen_records(records)
    gen_pred = predict_prefilled(ar["prefill"], arrays, torch.from_numpy(gidx).to(device), table, device)
    targets = image_of(records, gidx, -1, device)
    gen_dec = train_gen_decoder(cfg, state, images, table.reshape(len(images), 16, -1), device, gen_pred, targets)
    eidx = torch.from_numpy(edit_records(records)).to(device)
    predicted = predict_prefilled(ar["prefill"], arrays, eidx, table, device)
    table3 = table.reshape(len(images), 16, -1)
    edit_dec = train_edit_decoder(cfg, state, images, records, table3, predicted, gen_dec, device)
    if float(cfg.get("cont_gen_seconds", 0)) > 0:
        share = float(cfg.get("gen_pred_share", 0.5))
        continue_decoder(cfg, state, "gen", gen_dec, lambda d: gen_sampler(cfg, images, table3, d, device, cfg["seed"] + 10, gen_pred, targets, share), device, cfg["seed"] + 11)
    continue_decoder(cfg, state, "edit", edit_dec, lambda d: edit_sampler(cfg, images, records, table3, predicted, d, device, cfg["seed"] + 12), device, cfg["seed"] + 13)
    state.finish("total", {"seconds": round(time.time() - t0, 1)})
    print(json.dumps({"out": args.out, "seconds": round(time.time() - t0, 1)}), flush=True)
    return cfg, enc, ar, gen_dec, edit_dec


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="dataset folder or packed prefix (.npz + .json.gz)")
    ap.add_argument("--out", help="run folder (checkpoints, state.json); rerun to resume")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument("--smoke", action="store_true", help="tiny dims, few steps, temp output dir")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N records")
    ap.add_argument("--set", action="append", help="override a config value, key=value")
    args = ap.parse_args(argv)
    if args.smoke:
        args.preset = "smoke"
        args.out = args.out or tempfile.mkdtemp(prefix="nexus-smoke-")
        args.limit = args.limit or 300
    if not args.out:
        ap.error("--out is required (except with --smoke)")
    return run(args)


if __name__ == "__main__":
    main()
