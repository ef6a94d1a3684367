"""Writes a reduced Nexus-Gen checkpoint with random weights in the published layout, the input of convert.py
and of the parity test:

  OUT/nexus_gen_config.json              the reduced sizes (config.REDUCED; absent for the published model)
  OUT/Nexus-GenV2/config.json            Qwen2_5_VLConfig fields (text + vision_config)
  OUT/Nexus-GenV2/model.safetensors      model.*, lm_head, vision_head, image_prefill_embeds, visual.*
  OUT/Nexus-GenV2/tokenizer.json         Qwen2 format (tiny_tokenizer.py)
  OUT/Nexus-GenV2/generation_decoder.bin pipe.dit.* + adapter.*        (torch.save of a state dict, as published)
  OUT/Nexus-GenV2/edit_decoder.bin       pipe.dit.* + embedding_merger.*
  OUT/FLUX/FLUX.1-dev/ae.safetensors     decoder.* (FLUX autoencoder names; the encoder half is not served)
  OUT/nexus_gen_constants.safetensors    pooled_prompt_emb: CLIP-L's pooled output for the empty prompt, the
                                         constant Nexus-Gen's pipelines feed the DiT (see convert.py)

  python3 models/nexus-gen/make_checkpoint.py OUT [--seed 0]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import safetensors_io  # noqa: E402
import tiny_tokenizer  # noqa: E402
from config import REDUCED  # noqa: E402
from layout import build_modules  # noqa: E402

SPECIAL_BASE = 400


def randomize(module, gen):
    """Weights that keep activations O(1) at any width, so every name matters to the outputs."""
    for name, p in module.named_parameters():
        with torch.no_grad():
            if p.dim() == 1 and name.endswith("weight"):
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) / (fan_in ** 0.5))


def reduced_config():
    cfg = json.loads(json.dumps(REDUCED))
    names = tiny_tokenizer.QWEN_ADDED
    pick = {"endoftext": "<|endoftext|>", "im_start": "<|im_start|>", "im_end": "<|im_end|>",
            "vision_start": "<|vision_start|>", "vision_end": "<|vision_end|>", "image_pad": "<|image_pad|>"}
    cfg["special"] = {k: SPECIAL_BASE + names.index(v) for k, v in pick.items()}
    return cfg


def hf_config(cfg):
    t, v = cfg["text"], cfg["vision"]
    sp = cfg["special"]
    return {"architectures": ["Qwen2_5_VLForConditionalGeneration"], "model_type": "qwen2_5_vl",
            **{k: t[k] for k in ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
                                 "num_attention_heads", "num_key_value_heads", "rope_theta", "rms_norm_eps",
                                 "max_position_embeddings")},
            "hidden_act": "silu", "tie_word_embeddings": False,
            "rope_scaling": {"type": "mrope", "mrope_section": t["mrope_section"]},
            "bos_token_id": sp["endoftext"], "eos_token_id": sp["im_end"], "vision_start_token_id": sp["vision_start"],
            "vision_end_token_id": sp["vision_end"], "image_token_id": sp["image_pad"],
            "vision_config": {**v, "hidden_act": "silu"}}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    cfg = reduced_config()
    m = build_modules(cfg)
    for mod in m.values():
        randomize(mod, gen)
    ar_dir = os.path.join(args.out, "Nexus-GenV2")
    ae_dir = os.path.join(args.out, "FLUX", "FLUX.1-dev")
    os.makedirs(ar_dir, exist_ok=True)
    os.makedirs(ae_dir, exist_ok=True)
    with open(os.path.join(args.out, "nexus_gen_config.json"), "w", encoding="utf-8") as f:
        json.dump(cfg, f, indent=1)
    with open(os.path.join(ar_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(hf_config(cfg), f, indent=1)
    with open(os.path.join(ar_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tiny_tokenizer.build(SPECIAL_BASE), f, ensure_ascii=False)
    safetensors_io.save(m["ar"].state_dict(), os.path.join(ar_dir, "model.safetensors"), {"format": "pt"})
    dit = {f"pipe.dit.{k}": v for k, v in m["gen_dit"].state_dict().items()}
    torch.save({**dit, **{f"adapter.{k}": v for k, v in m["adapter"].state_dict().items()}},
               os.path.join(ar_dir, "generation_decoder.bin"))
    dit = {f"pipe.dit.{k}": v for k, v in m["edit_dit"].state_dict().items()}
    torch.save({**dit, **{f"embedding_merger.{k}": v for k, v in m["merger"].state_dict().items()}},
               os.path.join(ar_dir, "edit_decoder.bin"))
    safetensors_io.save(m["vae"].state_dict(), os.path.join(ae_dir, "ae.safetensors"))
    pooled = torch.randn(1, cfg["dit"]["pooled_dim"], generator=gen)
    safetensors_io.save({"pooled_prompt_emb": pooled}, os.path.join(args.out, "nexus_gen_constants.safetensors"))
    print(json.dumps({"checkpoint": args.out, "parameters": {k: sum(p.numel() for p in v.parameters()) for k, v in m.items()}}))


if __name__ == "__main__":
    main()
