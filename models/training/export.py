"""Exports a trained run to a bundle folder per models/BUNDLE.md: one ONNX file per stage (opset 17),
manifest.json, tokenizer.json and goldens.json, then checks every ONNX stage against the PyTorch goldens with
onnxruntime-node (check_onnx.mjs) and fails when any output differs by more than 1e-4.

  python3 models/training/export.py --run RUN_DIR --out models/nexus-mini
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import layers  # noqa: E402
from evaluate import load_models  # noqa: E402

OPSET = 17
# the bundle's semver: bump the minor version whenever retrained weights change the outputs (same contract)
BUNDLE_VERSION = "1.2.0"
TOLERANCE = 1e-4
HERE = os.path.dirname(os.path.abspath(__file__))


class TokenEmbedding(nn.Module):
    def __init__(self, ar):
        super().__init__()
        self.embed = ar.embed

    def forward(self, input_ids):
        return self.embed(input_ids)


class TransformerStage(nn.Module):
    """Flat past/present tensors in and out, as ONNX needs them."""

    def __init__(self, ar):
        super().__init__()
        self.ar = ar

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.ar.num_layers)]
        logits, image_embeds, present = self.ar(inputs_embeds, attention_mask, position_ids, past)
        flat = [t for kv in present for t in kv]
        return (logits, image_embeds, *flat)


def kv_names(n, prefix_k, prefix_v):
    return [name for i in range(n) for name in (prefix_k.format(i), prefix_v.format(i))]


def export(module, args, path, inputs, outputs, dynamic):
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=dynamic,
                          opset_version=OPSET, do_constant_folding=True)
    import onnx
    onnx.checker.check_model(onnx.load(path))


def tensor_json(t):
    a = t.detach().cpu().numpy()
    if a.dtype == np.int64:
        data = [int(v) for v in a.reshape(-1)]
        return {"dims": list(a.shape), "dtype": "int64", "data": data}
    # shortest text that round-trips each float32 value exactly
    data = [float(np.format_float_scientific(v, unique=True)) for v in a.astype(np.float32).reshape(-1)]
    return {"dims": list(a.shape), "dtype": "float32", "data": data}


def case(names_in, args, names_out, outs):
    return {"inputs": {n: tensor_json(a) for n, a in zip(names_in, args)},
            "outputs": {n: tensor_json(o) for n, o in zip(names_out, outs)}}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build(run, out):
    layers.set_fused_attention(False)
    torch.manual_seed(1234)
    cfg, m = load_models(run, torch.device("cpu"))
    os.makedirs(out, exist_ok=True)
    d, L, H = cfg["dim"], cfg["layers"], cfg["heads"]
    hd = d // H
    n_tok = 16
    sp = cfg["special"]
    files, goldens = {}, {}
    g = torch.Generator().manual_seed(7)

    enc = m["encoder"]
    px = torch.rand(2, 3, 64, 64, generator=g) * 2 - 1
    export(enc, (px,), os.path.join(out, "vision_encoder.onnx"), ["pixel_values"], ["image_embeds"],
           {"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}})
    with torch.no_grad():
        goldens["vision_encoder"] = [case(["pixel_values"], [px[:1]], ["image_embeds"], [enc(px[:1])])]
    files["vision_encoder"] = ("vision_encoder.onnx", ["pixel_values"], ["image_embeds"])

    ar = m["ar"]["prefill"]
    tok = TokenEmbedding(ar).eval()
    ids = torch.tensor([[sp["im_start"], sp["boi"], sp["prefill"], sp["prefill"] + 1, sp["eoi"]]])
    export(tok, (ids,), os.path.join(out, "token_embedding.onnx"), ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch", 1: "seq"}, "inputs_embeds": {0: "batch", 1: "seq"}})
    with torch.no_grad():
        goldens["token_embedding"] = [case(["input_ids"], [ids], ["inputs_embeds"], [tok(ids)])]
    files["token_embedding"] = ("token_embedding.onnx", ["input_ids"], ["inputs_embeds"])

    tr = TransformerStage(ar).eval()
    t_in = ["inputs_embeds", "attention_mask", "position_ids"] + kv_names(L, "past_key_values.{}.key", "past_key_values.{}.value")
    t_out = ["logits", "image_embeds"] + kv_names(L, "present.{}.key", "present.{}.value")
    dyn = {"inputs_embeds": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "total"},
           "position_ids": {0: "batch", 1: "seq"}, "logits": {0: "batch", 1: "seq"}, "image_embeds": {0: "batch", 1: "seq"}}
    for n in t_in[3:]:
        dyn[n] = {0: "batch", 2: "past"}
    for n in t_out[2:]:
        dyn[n] = {0: "batch", 2: "total"}
    x_dummy = torch.randn(2, 3, d, generator=g)
    past_dummy = [torch.randn(2, H, 4, hd, generator=g) for _ in range(2 * L)]
    export(tr, (x_dummy, torch.ones(2, 7, dtype=torch.long), torch.tensor([[4, 5, 6], [4, 5, 6]]), *past_dummy),
           os.path.join(out, "transformer.onnx"), t_in, t_out, dyn)
    # Golden 1: empty past, batch 2 with left padding on the second row. Golden 2: continues row-wise from 1.
    x1 = torch.randn(2, 6, d, generator=g)
    m1 = torch.tensor([[1, 1, 1, 1, 1, 1], [0, 0, 1, 1, 1, 1]])
    p1 = torch.tensor([[0, 1, 2, 3, 4, 5], [0, 0, 0, 1, 2, 3]])
    empty = [torch.zeros(2, H, 0, hd) for _ in range(2 * L)]
    with torch.no_grad():
        o1 = tr(x1, m1, p1, *empty)
        x2 = torch.randn(2, 3, d, generator=g)
        m2 = torch.cat([m1, torch.ones(2, 3, dtype=torch.long)], 1)
        p2 = torch.tensor([[6, 7, 8], [4, 5, 6]])
        o2 = tr(x2, m2, p2, *o1[2:])
    goldens["transformer"] = [case(t_in, [x1, m1, p1, *empty], t_out, o1), case(t_in, [x2, m2, p2, *o1[2:]], t_out, o2)]
    files["transformer"] = ("transformer.onnx", t_in, t_out)

    for stage, dec, extra in (("gen_decoder", m["gen"], False), ("edit_decoder", m["edit"], True)):
        names = ["sample", "timestep", "condition"] + (["source"] if extra else []) + ["drop_condition"]
        a = [torch.randn(2, 3, 64, 64, generator=g), torch.tensor([0.9, 0.3]), torch.randn(2, n_tok, d, generator=g)]
        if extra:
            a.append(torch.randn(2, n_tok, d, generator=g))
        a.append(torch.tensor([0.0, 1.0]))
        dyn = {n: {0: "batch"} for n in names + ["velocity"]}
        export(dec, tuple(a), os.path.join(out, f"{stage}.onnx"), names, ["velocity"], dyn)
        with torch.no_grad():
            goldens[stage] = [case(names, a, ["velocity"], [dec(*a)])]
        files[stage] = (f"{stage}.onnx", names, ["velocity"])

    with open(os.path.join(out, "goldens.json"), "w", encoding="utf-8") as f:
        json.dump(goldens, f, separators=(",", ":"))
    shutil.copy(os.path.join(run, "tokenizer.json"), os.path.join(out, "tokenizer.json"))
    write_manifest(run, out, cfg, files)


def write_manifest(run, out, cfg, files):
    world = {}
    if os.path.exists(os.path.join(run, "world.json")):
        with open(os.path.join(run, "world.json"), encoding="utf-8") as f:
            world = json.load(f)
    template = world.get("chat_template") or {
        "default_system": "You are a helpful assistant.", "turn_prefix": "<|im_start|>{role}\n",
        "turn_suffix": "<|im_end|>\n", "image": "<|vision_start|>{image}<|vision_end|>",
        "generation_prompt": "<|im_start|>assistant\n"}
    sp = cfg["special"]
    entries = {"tokenizer": {"path": "tokenizer.json", "sha256": sha256(os.path.join(out, "tokenizer.json"))}}
    for stage, (path, ins, outs) in files.items():
        entries[stage] = {"path": path, "sha256": sha256(os.path.join(out, path)), "inputs": ins, "outputs": outs}
    entries["goldens"] = {"path": "goldens.json", "sha256": sha256(os.path.join(out, "goldens.json"))}
    manifest = {
        "format": 1, "name": "nexus-mini", "version": BUNDLE_VERSION,
        "image": {"size": 64, "channels": 3, "pixel_range": [-1, 1]},
        "image_tokens": 16, "image_grid": [4, 4], "embed_dim": cfg["dim"], "hidden_size": cfg["dim"],
        "num_layers": cfg["layers"], "num_heads": cfg["heads"], "head_dim": cfg["dim"] // cfg["heads"],
        "max_positions": cfg["max_positions"], "vocab_size": cfg["vocab_size"],
        "special_tokens": {k: sp[k] for k in ("boi", "eoi", "image_pad", "prefill", "im_start", "im_end", "pad")},
        "chat_template": template,
        "decoder": {"space": "pixels", "channels": 3, "height": 64, "width": 64},
        # Measured (npm run eval, dev seed 2000003, 200-300 per task): these x0-predicting decoders score best without
        # CFG (generation 0.93 at guidance 1 vs 0.83 at 2, 0.70 at 3 -- Nexus-Gen's 3.0 over-drives them) and no
        # better with more steps (5: 0.94, 10: 0.935, 20: 0.93, 40: 0.92; editing 10: 0.52, 20: 0.49), so 10 steps.
        "defaults": {"generation": {"steps": 10, "guidance": 1.0}, "editing": {"steps": 10, "guidance": 1.0},
                     "temperature": 0, "top_p": 1.0, "max_tokens": 64},
        "files": entries,
        "training": {"preset": cfg.get("preset"), "seed": cfg.get("seed"), "device": cfg.get("device"),
                     "records": cfg.get("records")},
    }
    with open(os.path.join(out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def check(out):
    """Runs check_onnx.mjs (onnxruntime-node, the runtime's engine) over the goldens."""
    res = subprocess.run(["node", os.path.join(HERE, "check_onnx.mjs"), out], capture_output=True, text=True)
    sys.stderr.write(res.stderr)
    if res.returncode != 0:
        raise SystemExit(f"ONNX check failed to run: {res.stdout}")
    report = json.loads(res.stdout.strip().splitlines()[-1])
    worst = max(report.values())
    print(json.dumps({"max_abs_diff": report, "tolerance": TOLERANCE}))
    if worst > TOLERANCE:
        raise SystemExit(f"ONNX differs from PyTorch by {worst} > {TOLERANCE}")
    return report


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--no-check", action="store_true", help="skip the onnxruntime-node parity check (no node)")
    args = ap.parse_args(argv)
    build(args.run, args.out)
    if not args.no_check:
        check(args.out)
    total = sum(os.path.getsize(os.path.join(args.out, f)) for f in os.listdir(args.out))
    print(json.dumps({"bundle": args.out, "bytes": total}))


if __name__ == "__main__":
    main()
