"""Python side of `npm run eval:training`: runs the trained stages on held-out records and writes what the
TypeScript scorer (scripts/eval-training.ts, the world's pixel scorer) judges: PNGs, predicted answers, the
per-position cosine curves of the ablation, and the image-token timings.

  python3 models/training/evaluate.py --run RUN_DIR --data .cache/world/val --out models/training/eval
"""
import argparse
import json
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from ar_batches import assemble, build_arrays, masks, take, to_device  # noqa: E402
from checkpoint import RunState, load_weights  # noqa: E402
from data import load_any, write_png  # noqa: E402
from decoder import sample_euler  # noqa: E402
from encoder import VisionEncoder  # noqa: E402
from infer import image_tokens  # noqa: E402
from train import dataset_root, pick_device  # noqa: E402
from train_ar import make_transformer  # noqa: E402
from train_decoders import make_edit_decoder, make_gen_decoder  # noqa: E402
from train_encoder import embed_images  # noqa: E402


def load_models(run, device):
    with open(os.path.join(run, "config.json"), encoding="utf-8") as f:
        cfg = json.load(f)
    st = RunState(run)
    enc = load_weights(VisionEncoder(cfg["dim"], cfg["enc_width"]), st.ckpt("encoder.npz"))
    # A decoders-only run (finetune_decoders.py) has no teacher-forced ablation: its transformer is the bundle's.
    ar = {v: load_weights(make_transformer(cfg, cfg["vocab_size"]), st.ckpt(f"transformer_{v}.npz")) for v in ("prefill", "teacher")
          if os.path.exists(st.ckpt(f"transformer_{v}.npz"))}
    gen = load_weights(make_gen_decoder(cfg), st.ckpt("gen_decoder.npz"))
    edit = load_weights(make_edit_decoder(cfg), st.ckpt("edit_decoder.npz"))
    return cfg, {"encoder": enc.to(device).eval(), "ar": {k: m.to(device).eval() for k, m in ar.items()},
                 "gen": gen.to(device).eval(), "edit": edit.to(device).eval()}


def save_png(x, path):
    write_png(path, ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy())


@torch.no_grad()
def understanding(m, arrays, records, idx, table, device):
    out = []
    for i in range(0, len(idx), 256):
        b = take(arrays, torch.from_numpy(idx[i:i + 256]).to(device))
        attn, pos = masks(b)
        x = assemble(m, b, table, False)
        logits, _, _ = m(x, attn, pos, m.empty_past(x.shape[0], device))
        am = logits.argmax(-1)
        for j, r in enumerate(idx[i:i + 256]):
            lab = b["labels"][j]
            keep = lab >= 0
            pred = am[j][keep].tolist()
            out.append({"id": records[r]["id"], "answer": records[r]["answer"], "predicted_ids": pred,
                        "exact_ids": bool(pred == lab[keep].tolist())})
    return out


@torch.no_grad()
def decode_images(fn, cond_list, steps, guidance, seed, device, batch=128):
    outs = []
    for i in range(0, cond_list[0].shape[0], batch):
        conds = [c[i:i + batch] for c in cond_list]
        g = torch.Generator().manual_seed(seed + i)
        noise = torch.randn((conds[0].shape[0], 3, 64, 64), generator=g).to(device)
        outs.append(sample_euler(lambda x, t, d: fn(x, t, *[torch.cat([c] * (x.shape[0] // c.shape[0])) for c in conds], d),
                                 noise, steps, guidance))
    return torch.cat(outs)


def per_position(pred, gt):
    cos = F.cosine_similarity(pred, gt, dim=-1).mean(0)
    mse = ((pred - gt) ** 2).mean(-1).mean(0)
    return [round(float(v), 4) for v in cos], [round(float(v), 4) for v in mse]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=200, help="records per task")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--guidance", type=float, default=3.0)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--timing-repeats", type=int, default=20)
    ap.add_argument("--diversity-prompts", type=int, default=16, help="held-out generation prompts drawn under many seeds")
    ap.add_argument("--diversity-seeds", type=int, default=32)
    args = ap.parse_args(argv)
    device = pick_device(args.device)
    cfg, m = load_models(args.run, device)
    images, records = load_any(args.data)
    n_tok = 16
    table = embed_images(m["encoder"], images, device).reshape(-1, cfg["dim"])
    arrays = to_device(build_arrays(records, n_tok, cfg["special"]["pad"]), device)
    tasks = np.array([r["task"] for r in records])
    has_out = arrays["out_start"].cpu().numpy() >= 0
    gen_idx = np.where((tasks == "generation") & has_out)[0][: args.n]
    edit_idx = np.where((tasks == "editing") & has_out)[0][: args.n]
    und_idx = np.where(np.array([r.get("answer") is not None for r in records]) & ~has_out)[0][: args.n]
    for sub in ("generation", "generation_gt", "generation_tf", "editing"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    ar_p, ar_t = m["ar"]["prefill"], m["ar"].get("teacher")
    res = {"config": {k: cfg[k] for k in ("dim", "layers", "heads", "dec_width", "dec_depth", "seed", "preset")},
           "steps": args.steps, "guidance": args.guidance, "device": str(device)}
    res["understanding"] = understanding(ar_p, arrays, records, und_idx, table, device)

    curve_idx = torch.from_numpy(np.concatenate([gen_idx, edit_idx])).to(device)
    gt = table[(take(arrays, curve_idx)["img_tgt"].gather(1, (arrays["out_start"][curve_idx] - 1)[:, None] + torch.arange(n_tok, device=device)[None]))]
    pred_p, _ = image_tokens(ar_p, arrays, curve_idx, table, "prefill", n_tok)
    preds = [("prefill", pred_p)]
    if ar_t is not None:
        preds += [("teacher_inference", image_tokens(ar_t, arrays, curve_idx, table, "own", n_tok)[0]),
                  ("teacher_train_condition", image_tokens(ar_t, arrays, curve_idx, table, "gt", n_tok, gt=gt)[0])]
    curves = {}
    for name, pred in preds:
        cos, mse = per_position(pred, gt)
        curves[name] = {"cosine": cos, "mse": mse, "mean_mse": round(float(((pred - gt) ** 2).mean()), 4),
                        "mean_cosine": round(float(F.cosine_similarity(pred, gt, dim=-1).mean()), 4)}
    res["ablation"] = curves
    ng = len(gen_idx)
    gt_gen = gt[:ng]
    gen_sets = {"generation": pred_p[:ng], "generation_gt": gt_gen}
    if ar_t is not None:
        gen_sets["generation_tf"] = preds[1][1][:ng]
    res["generation"] = [{"id": records[r]["id"], "scene": records[r].get("target_scene") or records[r]["scene"]} for r in gen_idx]
    for sub, cond in gen_sets.items():
        imgs = decode_images(m["gen"], [cond], args.steps, args.guidance, 1000, device)
        for k, r in enumerate(gen_idx):
            save_png(imgs[k], os.path.join(args.out, sub, f"{records[r]['id']}.png"))
    src = table.reshape(len(images), n_tok, -1)[torch.tensor([records[r]["image_ids"][0] for r in edit_idx], device=device)]
    imgs = decode_images(m["edit"], [pred_p[ng:], src], args.steps, 1.0, 2000, device)
    res["editing"] = [{"id": records[r]["id"], "scene": records[r]["scene"], "target_scene": records[r]["target_scene"]} for r in edit_idx]
    for k, r in enumerate(edit_idx):
        save_png(imgs[k], os.path.join(args.out, "editing", f"{records[r]['id']}.png"))
    res["diversity"] = diversity(m["gen"], pred_p[:min(ng, args.diversity_prompts)], [records[r] for r in gen_idx],
                                 args, device)
    res["timing"] = timings(ar_p, ar_t, arrays, curve_idx, table, device, args.timing_repeats, n_tok)
    res["prefill_cache_vs_full_pass_max_abs"] = cache_check(ar_p, arrays, curve_idx[:64], table, device, n_tok)
    shutil.copy(os.path.join(args.run, "tokenizer.json"), os.path.join(args.out, "tokenizer.json"))
    with open(os.path.join(args.out, "results.json"), "w", encoding="utf-8") as f:
        json.dump(res, f)
    print(json.dumps({"understanding_exact_ids": float(np.mean([u["exact_ids"] for u in res["understanding"]] or [0])),
                      "mean_mse": {k: v["mean_mse"] for k, v in curves.items()}, "timing": res["timing"]}), flush=True)


def diversity(gen, cond, records, args, device):
    """Each of the first prompts' predicted embeddings decoded under diversity_seeds noises, written as
    diversity/<id>-<k>.png; scripts/eval-training.ts reads them with the world's readers."""
    out, k = [], args.diversity_seeds
    os.makedirs(os.path.join(args.out, "diversity"), exist_ok=True)
    for j in range(cond.shape[0]):
        imgs = decode_images(gen, [cond[j:j + 1].expand(k, -1, -1)], args.steps, args.guidance, 3000 + 7919 * j, device)
        r = records[j]
        for s in range(k):
            save_png(imgs[s], os.path.join(args.out, "diversity", f"{r['id']}-{s}.png"))
        out.append({"id": r["id"], "scene": r.get("target_scene") or r["scene"], "samples": k})
    return out


def cache_check(model, arrays, idx, table, device, n_tok):
    """The cached prefilled path must equal one full pass over the record (what training saw)."""
    from train_ar import predict_prefilled
    a, _ = image_tokens(model, arrays, idx, table, "prefill", n_tok)
    return float((a - predict_prefilled(model, arrays, idx, table, device)).abs().max())


def timings(ar_p, ar_t, arrays, idx, table, device, repeats, n_tok):
    """Image-token stage time per image at batch 1 (after the shared prompt pass), median over records."""
    sync = torch.cuda.synchronize if device.type == "cuda" else None
    out = {}
    for name, model, mode in (("prefill", ar_p, "prefill"), ("token_by_token", ar_t, "own")):
        if model is None:
            continue
        ts = []
        for i in range(repeats + 2):
            _, dt = image_tokens(model, arrays, idx[i % len(idx): i % len(idx) + 1], table, mode, n_tok, sync=sync)
            ts.append(dt)
        ms = float(np.median(ts[2:])) * 1000
        out[name] = {"ms_per_image": round(ms, 3), "s_per_1000": round(ms, 3), "passes": 1 if mode == "prefill" else n_tok}
    if "token_by_token" in out:
        out["speedup"] = round(out["token_by_token"]["ms_per_image"] / out["prefill"]["ms_per_image"], 2)
    out["device"] = str(device)
    return out


if __name__ == "__main__":
    t0 = time.time()
    main()
    print(f"eval seconds {time.time() - t0:.1f}", file=sys.stderr)
