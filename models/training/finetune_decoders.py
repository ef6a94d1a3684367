"""Decoders only, from a bundle: re-creates the bundle's encoder and prefilled transformer (onnx_weights.py, checked
against its goldens), computes the transformer's predicted embeddings for the generation and editing records, and
continues both decoders from the bundle's weights with the flow-matching objective (train_decoders.flow_loss).
The run folder it writes is one that evaluate.py and export.py read (config.json, ckpt/*.npz); rerun with the same
--out to resume (finished stages are skipped, in-stage state is restored).

  python3 models/training/finetune_decoders.py --bundle models/nexus-mini --data .cache/world-packed60/train \\
      --out models/training/runs/fm --set gen_seconds=1800 --set edit_seconds=900
"""
import argparse
import json
import os
import shutil
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ar_batches import build_arrays, to_device  # noqa: E402
from checkpoint import RunState, save_weights  # noqa: E402
from data import load_any, special_ids  # noqa: E402
from onnx_weights import load_bundle_models  # noqa: E402
from train import BASE, dataset_root, pick_device, subset  # noqa: E402
from train_ar import predict_prefilled  # noqa: E402
from train_decoders import edit_records, gen_records, image_of, train_edit_decoder, train_gen_decoder  # noqa: E402
from train_encoder import embed_images  # noqa: E402

FINETUNE = {**BASE, "dec_lr": 5e-4, "dec_batch": 64, "gen_steps": 10 ** 9, "edit_steps": 10 ** 9,
            "gen_seconds": 1800, "edit_seconds": 900, "max_edit_records": 3000, "save_every": 200, "log_every": 50}


def decoder_records(records, max_edits):
    """The records a decoder stage reads: the generation ones and the first max_edits editing ones."""
    edits = [i for i, r in enumerate(records) if r["task"] == "editing"][:max_edits]
    return sorted([i for i, r in enumerate(records) if r["task"] == "generation"] + edits)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--bundle", required=True, help="bundle folder whose decoders are the starting point")
    ap.add_argument("--data", required=True, help="dataset folder or packed prefix")
    ap.add_argument("--out", required=True, help="run folder; rerun to resume")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--limit", type=int, default=0, help="use only the first N records")
    ap.add_argument("--set", action="append", help="override a config value, key=value")
    args = ap.parse_args(argv)
    cfg = dict(FINETUNE)
    for kv in args.set or []:
        k, v = kv.split("=", 1)
        cfg[k] = type(FINETUNE.get(k, 0.0))(v)
    device = pick_device(args.device)
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    state = RunState(args.out)
    images, records = load_any(args.data)
    if args.limit:
        images, records = subset(images, records, args.limit)
    images, records = subset(images, [records[i] for i in decoder_records(records, cfg["max_edit_records"])], 10 ** 9)
    root = dataset_root(args.data)
    special, vocab_size, _ = special_ids(os.path.join(root, "tokenizer.json"), 16)
    bcfg, models = load_bundle_models(args.bundle)
    assert bcfg["special"] == special, "the dataset's tokenizer is not the bundle's"
    ar = models["ar"]["prefill"].to(device)
    cfg.update({"vocab_size": vocab_size, "special": special, "device": str(device), "preset": "finetune-decoders",
                "init_bundle": args.bundle, "data": args.data, "records": len(records), "images": int(len(images)),
                "dim": bcfg["dim"], "layers": ar.num_layers, "heads": ar.heads,
                "enc_width": models["encoder"].convs[0].weight.shape[0],
                # the decoders' dims are the bundle's (the smoke bundle's are tiny)
                "dec_width": models["gen"].width, "dec_depth": len(models["gen"].blocks),
                "dec_heads": models["gen"].blocks[0].attn.heads, "dec_head_hidden": models["gen"].out[0].out_features})
    with open(os.path.join(args.out, "config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=1)
    shutil.copy(os.path.join(args.bundle, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    save_weights(models["encoder"], state.ckpt("encoder.npz"))
    save_weights(ar, state.ckpt("transformer_prefill.npz"))
    print(f"data: {len(records)} records, {len(images)} images, {time.time() - t0:.1f}s", flush=True)

    # Only the editing records' input images need encoder tokens (their prompt's image and the decoder's source);
    # generation prompts are text, and the decoders' targets are pixels.
    needed = sorted({g for i in edit_records(records) for g in records[i]["image_ids"][:-1]})
    table_path = state.ckpt("image_table.npy")
    if os.path.exists(table_path):
        table = torch.from_numpy(np.load(table_path)).to(device)
    else:
        table = torch.zeros(len(images), 16, cfg["dim"], device=device)
        with torch.no_grad():
            table[torch.tensor(needed, device=device)] = embed_images(models["encoder"].to(device), images[needed], device)
        np.save(table_path, table.cpu().numpy())
    table3 = table.reshape(len(images), 16, -1)
    flat = table.reshape(-1, cfg["dim"])
    arrays = to_device(build_arrays(records, 16, special["pad"]), device)
    gidx, eidx = gen_records(records), edit_records(records)
    pred_path = state.ckpt("predicted.npz")
    if os.path.exists(pred_path):
        with np.load(pred_path) as z:
            gen_pred, edit_pred = torch.from_numpy(z["generation"]).to(device), torch.from_numpy(z["editing"]).to(device)
    else:
        gen_pred = predict_prefilled(ar, arrays, torch.from_numpy(gidx).to(device), flat, device)
        edit_pred = predict_prefilled(ar, arrays, torch.from_numpy(eidx).to(device), flat, device)
        np.savez(pred_path, generation=gen_pred.cpu().numpy(), editing=edit_pred.cpu().numpy())
    print(f"predicted embeddings: {len(gidx)} generation, {len(eidx)} editing, {time.time() - t0:.1f}s", flush=True)

    gen = train_gen_decoder(cfg, state, images, table3, device, gen_pred, image_of(records, gidx, -1, device),
                            init=models["gen"].to(device))
    train_edit_decoder(cfg, state, images, records, table3, edit_pred, gen, device, init=models["edit"].to(device))
    state.finish("total", {"seconds": round(time.time() - t0, 1)})
    print(json.dumps({"out": args.out, "seconds": round(time.time() - t0, 1)}), flush=True)


if __name__ == "__main__":
    main()
