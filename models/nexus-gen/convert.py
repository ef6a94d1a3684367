"""Converts a Nexus-Gen checkpoint in the published layout (layout.py) into a runtime bundle (models/BUNDLE.md,
`architecture: "nexus-gen"` section): one ONNX graph per stage at opset 17, tokenizer.json, the chat template and
the manifest.

  python3 models/nexus-gen/convert.py CHECKPOINT_DIR OUT_DIR [--dtype fp16|bf16|fp32]

Stages (float32 inputs and outputs; B batch, T new tokens, P past, L patches):
  vision_encoder  pixel_values [L,1176], patch_positions [L,2], window_index [L/4], window_segments [L],
                  image_segments [L], reverse_index [L/4] -> image_embeds [L/4, hidden] (qwen_vit.py)
  token_embedding input_ids [B,T] -> inputs_embeds [B,T,hidden]; ids vocab_size + k are image_prefill_embeds row k
  transformer     inputs_embeds, attention_mask [B,P+T], position_ids [3,B,T] (M-RoPE), past_key_values.{i}.key|value
                  [B,kv_heads,P,head_dim] -> logits [B,T,V], image_embeds [B,T,hidden], present.{i}.key|value
  gen_decoder     sample [B,16,h,w], timestep [B] (sigma in [0,1]), condition [B,81,hidden], guidance [B]
                  -> velocity (adapter + DiT; the pooled CLIP constant and zero text ids inside)
  edit_decoder    as gen_decoder plus source [B,324,hidden] (the source image's tokens at 504x504) -> velocity
  vae_decoder     latent [B,16,h,w] -> pixels [B,3,8h,8w] in [-1,1]
--dtype stores the weights as fp16/bf16 (each weight cast back to float32 where it is used) and keeps float32
compute, so a bundle halves in size and the graphs run on any execution provider; fp32 is exact.
A stage whose graph is over 2 GB is written with external data (`<stage>.onnx.data`, listed in the manifest).
"""
import argparse
import hashlib
import json
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from config import load_config  # noqa: E402
from flux_dit import edit_text_ids  # noqa: E402
from layout import CheckpointMismatchError, load_constants, load_modules  # noqa: E402
import schedule  # noqa: E402

OPSET = 17
BUNDLE_VERSION = "2.0.0"
TWO_GB = 2 * 1024 ** 3
SYSTEM = "You are a helpful assistant."


class TokenEmbedding(nn.Module):
    def __init__(self, ar):
        super().__init__()
        self.table = nn.Parameter(torch.cat([ar.model.embed_tokens.weight, ar.image_prefill_embeds.weight], 0).detach())

    def forward(self, input_ids):
        return self.table[input_ids]


class TransformerStage(nn.Module):
    def __init__(self, ar):
        super().__init__()
        self.ar = ar

    def forward(self, inputs_embeds, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(self.ar.num_layers)]
        logits, image_embeds, present = self.ar(inputs_embeds, attention_mask, position_ids, past)
        return (logits, image_embeds, *[t for kv in present for t in kv])


class GenDecoderStage(nn.Module):
    """Nexus-Gen generation decoder: adapter(condition) in place of T5 tokens, text ids 0, CLIP pooled constant."""

    def __init__(self, dit, adapter, pooled):
        super().__init__()
        self.dit, self.adapter = dit, adapter
        self.register_buffer("pooled", pooled.float())

    def forward(self, sample, timestep, condition, guidance):
        b = sample.shape[0]
        ctx = self.adapter(condition)
        text_ids = torch.zeros(b, ctx.shape[1], 3)
        return self.dit(sample, timestep * 1000, ctx, self.pooled.expand(b, -1), guidance, text_ids)


class EditDecoderStage(nn.Module):
    def __init__(self, dit, merger, pooled, cfg):
        super().__init__()
        self.dit, self.merger, self.cfg = dit, merger, cfg
        self.register_buffer("pooled", pooled.float())

    def forward(self, sample, timestep, condition, source, guidance):
        b, _, h, w = sample.shape
        ctx = self.merger(condition, source)
        ids = edit_text_ids(self.cfg, b, h, w)
        return self.dit(sample, timestep * 1000, ctx, self.pooled.expand(b, -1), guidance, ids)


class VisionStage(nn.Module):
    def __init__(self, visual):
        super().__init__()
        self.visual = visual

    def forward(self, *a):
        return self.visual(*a)


def stages(modules, cfg, constants):
    ar = modules["ar"]
    pooled = constants["pooled_prompt_emb"]
    return {"vision_encoder": VisionStage(ar.visual), "token_embedding": TokenEmbedding(ar),
            "transformer": TransformerStage(ar), "gen_decoder": GenDecoderStage(modules["gen_dit"], modules["adapter"], pooled),
            "edit_decoder": EditDecoderStage(modules["edit_dit"], modules["merger"], pooled, cfg),
            "vae_decoder": modules["vae"]}


def kv_names(n, fmt_k, fmt_v):
    return [name for i in range(n) for name in (fmt_k.format(i), fmt_v.format(i))]


def example_inputs(cfg):
    """Names, example arguments and dynamic axes of every stage (shapes of the reduced or the full model)."""
    import numpy as np
    from qwen_vit import vision_inputs
    t, v = cfg["text"], cfg["vision"]
    d, layers = t["hidden_size"], t["num_hidden_layers"]
    kvh, hd = t["num_key_value_heads"], d // t["num_attention_heads"]
    grid = (1, 4, 8)
    vi = vision_inputs([grid], v)
    L = grid[1] * grid[2]
    lat = cfg["image_size"] // 8
    src = cfg["merger"]["ref_grid"][1] * cfg["merger"]["ref_grid"][2] // 4
    tr_in = ["inputs_embeds", "attention_mask", "position_ids"] + kv_names(layers, "past_key_values.{}.key", "past_key_values.{}.value")
    tr_out = ["logits", "image_embeds"] + kv_names(layers, "present.{}.key", "present.{}.value")
    tr_dyn = {"inputs_embeds": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "total"},
              "position_ids": {1: "batch", 2: "seq"}, "logits": {0: "batch", 1: "seq"}, "image_embeds": {0: "batch", 1: "seq"}}
    tr_dyn.update({n: {0: "batch", 2: "past"} for n in tr_in[3:]})
    tr_dyn.update({n: {0: "batch", 2: "total"} for n in tr_out[2:]})
    vis_names = ["pixel_values", "patch_positions", "window_index", "window_segments", "image_segments", "reverse_index"]
    vis_args = (torch.randn(L, 3 * v["temporal_patch_size"] * v["patch_size"] ** 2),
                *[torch.tensor(vi[k]) for k in vis_names[1:]])
    vis_dyn = {"pixel_values": {0: "patches"}, "patch_positions": {0: "patches"}, "window_index": {0: "units"},
               "window_segments": {0: "patches"}, "image_segments": {0: "patches"}, "reverse_index": {0: "units"},
               "image_embeds": {0: "units"}}
    dec = {n: {0: "batch"} for n in ("sample", "timestep", "condition", "source", "guidance", "velocity")}
    return {
        "vision_encoder": (vis_names, vis_args, ["image_embeds"], vis_dyn),
        "token_embedding": (["input_ids"], (torch.tensor([[1, 2, t["vocab_size"]]]),), ["inputs_embeds"],
                            {"input_ids": {0: "batch", 1: "seq"}, "inputs_embeds": {0: "batch", 1: "seq"}}),
        "transformer": (tr_in, (torch.randn(2, 3, d), torch.ones(2, 7, dtype=torch.long),
                                torch.tensor(np.tile(np.arange(4, 7), (3, 2, 1)), dtype=torch.long),
                                *[torch.randn(2, kvh, 4, hd) for _ in range(2 * layers)]), tr_out, tr_dyn),
        "gen_decoder": (["sample", "timestep", "condition", "guidance"],
                        (torch.randn(2, 16, lat, lat), torch.tensor([0.9, 0.3]), torch.randn(2, cfg["prefill_tokens"], d),
                         torch.tensor([3.5, 3.5])), ["velocity"], dec),
        "edit_decoder": (["sample", "timestep", "condition", "source", "guidance"],
                         (torch.randn(2, 16, lat, lat), torch.tensor([0.9, 0.3]), torch.randn(2, cfg["prefill_tokens"], d),
                          torch.randn(2, src, d), torch.tensor([3.5, 3.5])), ["velocity"], dec),
        "vae_decoder": (["latent"], (torch.randn(1, 16, lat, lat),), ["pixels"],
                        {"latent": {0: "batch"}, "pixels": {0: "batch"}}),
    }


def store_weights_as(model_path, dtype, external):
    """Casts float32 initializers to fp16/bf16 with a Cast back to float32 at each use; optional external data."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    if dtype == "fp32" and not external:
        return  # torch.onnx.export has written and checked it already
    model = onnx.load(model_path)
    if dtype != "fp32":
        target = TensorProto.FLOAT16 if dtype == "fp16" else TensorProto.BFLOAT16
        graph = model.graph
        casts = []
        for init in graph.initializer:
            if init.data_type != TensorProto.FLOAT or len(init.dims) < 2:
                continue  # biases and norm scales stay float32: a rounding of them buys nothing
            arr = numpy_helper.to_array(init)
            if target == TensorProto.FLOAT16:
                new = numpy_helper.from_array(arr.astype("float16"), init.name + "__stored")
            else:
                bits = (arr.astype("float32").view("uint32") + 0x7FFF + ((arr.view("uint32") >> 16) & 1)) >> 16
                new = helper.make_tensor(init.name + "__stored", TensorProto.BFLOAT16, arr.shape, bits.astype("uint16").tobytes(), raw=True)
            init.CopyFrom(new)
            casts.append(helper.make_node("Cast", [init.name], [init.name[: -len("__stored")]], to=TensorProto.FLOAT))
        for node in reversed(casts):
            graph.node.insert(0, node)
    if external:
        onnx.save_model(model, model_path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(model_path) + ".data", size_threshold=1024)
    else:
        onnx.save_model(model, model_path)
    onnx.checker.check_model(model_path)


def export_stage(name, module, spec, out, dtype):
    names_in, args, names_out, dyn = spec
    path = os.path.join(out, f"{name}.onnx")
    big = sum(p.numel() * 4 for p in module.parameters()) > TWO_GB
    with torch.no_grad():
        torch.onnx.export(module, args, path, input_names=names_in, output_names=names_out, dynamic_axes=dyn,
                          opset_version=OPSET, do_constant_folding=True)
    store_weights_as(path, dtype, big)
    entry = {"path": f"{name}.onnx", "sha256": sha256(path), "inputs": names_in, "outputs": names_out}
    data = path + ".data"
    if os.path.exists(data):
        entry["external_data"] = [{"path": os.path.basename(data), "sha256": sha256(data)}]
    return entry


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tokenizer_ids(tokenizer):
    added = {t["content"]: t["id"] for t in tokenizer["added_tokens"]}
    need = {"boi": "<|vision_start|>", "eoi": "<|vision_end|>", "image_pad": "<|image_pad|>", "im_start": "<|im_start|>",
            "im_end": "<|im_end|>", "pad": "<|endoftext|>"}
    missing = [v for v in need.values() if v not in added]
    if missing:
        raise CheckpointMismatchError(f"tokenizer.json lacks the special tokens {', '.join(missing)}")
    size = max([*tokenizer["model"]["vocab"].values(), *added.values()]) + 1
    return {k: added[v] for k, v in need.items()}, size


def manifest(cfg, tokenizer, files, dtype, name):
    t, v = cfg["text"], cfg["vision"]
    special, tok_size = tokenizer_ids(tokenizer)
    special["prefill"] = t["vocab_size"]
    hd = t["hidden_size"] // t["num_attention_heads"]
    merge = v["spatial_merge_size"]
    _, gh, gw = cfg["output_grid"]
    lat = cfg["image_size"] // 8
    gen, edit = schedule.DEFAULTS["generation"], schedule.DEFAULTS["editing"]
    return {
        "format": 1, "name": name, "version": BUNDLE_VERSION,
        "image": {"size": gh * v["patch_size"], "channels": 3, "pixel_range": [0, 1]},
        "image_tokens": cfg["prefill_tokens"], "image_grid": [gh // merge, gw // merge],
        "embed_dim": t["hidden_size"], "hidden_size": t["hidden_size"], "num_layers": t["num_hidden_layers"],
        "num_heads": t["num_key_value_heads"], "head_dim": hd, "max_positions": t["max_position_embeddings"],
        "vocab_size": t["vocab_size"], "special_tokens": special,
        "chat_template": {"default_system": SYSTEM, "turn_prefix": "<|im_start|>{role}\n", "turn_suffix": "<|im_end|>\n",
                          "image": "<|vision_start|>{image}<|vision_end|>", "generation_prompt": "<|im_start|>assistant\n"},
        "decoder": {"space": "latent", "channels": 16, "height": lat, "width": lat},
        # Guidance needs the null (empty-prompt T5) condition, which is not exported yet: 1.0 until it is; the
        # published 3.0 is recorded in architecture.diffusion.published_defaults.
        "defaults": {"generation": {"steps": gen["steps"], "guidance": 1.0},
                     "editing": {"steps": edit["steps"], "guidance": edit["guidance"]},
                     "temperature": 0, "top_p": 1.0, "max_tokens": 512},
        "files": files,
        "architecture": {
            "name": "nexus-gen", "weights_dtype": dtype,
            "text": {"num_attention_heads": t["num_attention_heads"], "num_key_value_heads": t["num_key_value_heads"],
                     "rope": "mrope", "mrope_section": t["mrope_section"], "rope_theta": t["rope_theta"],
                     "tokenizer_vocab_size": tok_size},
            "vision": {"patch_size": v["patch_size"], "temporal_patch_size": v["temporal_patch_size"],
                       "spatial_merge_size": merge, "window_size": v["window_size"],
                       "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
                       # inputs stay under ~335 tokens in Nexus-Gen (shared/NEXUS-GEN.md): a 512x512 pixel budget
                       "min_pixels": 56 * 56, "max_pixels": 512 * 512},
            "prefill": {"tokens": cfg["prefill_tokens"], "grid_thw": cfg["output_grid"], "first_id": t["vocab_size"]},
            "edit": {"source_grid_thw": cfg["merger"]["ref_grid"], "source_size": cfg["merger"]["ref_grid"][1] * v["patch_size"]},
            "diffusion": {"schedule": "flow-match-shift", "shift": schedule.SHIFT, "sigma_min": schedule.SIGMA_MIN,
                          "timestep_input": "sigma", "embedded_guidance": gen["embedded_guidance"],
                          "image_size": cfg["image_size"], "vae_scale": 8,
                          "null_condition": None,
                          "published_defaults": {"generation": gen, "editing": edit}},
        },
    }


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--dtype", choices=["fp32", "fp16", "bf16"], default="fp16")
    ap.add_argument("--name", default="nexus-gen")
    ap.add_argument("--only", nargs="*", help="export only these stages (debugging)")
    args = ap.parse_args(argv)
    torch.set_num_threads(2)
    cfg = load_config(args.checkpoint)
    try:
        modules, report = load_modules(args.checkpoint, cfg)
        constants = load_constants(args.checkpoint, cfg)
    except CheckpointMismatchError as e:
        raise SystemExit(f"convert: {e}")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.checkpoint, "Nexus-GenV2", "tokenizer.json"), encoding="utf-8") as f:
        tokenizer = json.load(f)
    with open(os.path.join(args.out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False)
    files = {"tokenizer": {"path": "tokenizer.json", "sha256": sha256(os.path.join(args.out, "tokenizer.json"))}}
    specs = example_inputs(cfg)
    for name, module in stages(modules, cfg, constants).items():
        if args.only and name not in args.only:
            continue
        files[name] = export_stage(name, module.eval(), specs[name], args.out, args.dtype)
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8") as f:
        json.dump(manifest(cfg, tokenizer, files, args.dtype, args.name), f, indent=2)
        f.write("\n")
    print(json.dumps({"bundle": args.out, "dtype": args.dtype, **report}))


if __name__ == "__main__":
    main()
