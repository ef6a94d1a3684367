"""Memory and time model of the full-size Nexus-Gen V2 per stage, from the architecture alone (no weights needed).

  python3 models/nexus-gen/capacity.py [--reduced]     prints one JSON object

Parameter counts are closed forms of the reference modules (qwen2_decoder.py, qwen_vit.py, flux_dit.py,
flux_vae.py); `--reduced` checks them against the reduced modules' real counts (the test does too). Memory:
weights at 2 bytes (fp16/bf16), KV cache 2 x layers x kv_heads x head_dim x 2 bytes per token. FLOPs: 2 per
parameter per token for the matrix products plus 4 x L^2 x width per attention layer. Time = FLOPs / (peak x
utilisation) for the compute-bound stages (prefill, DiT steps, VAE) and bytes read / bandwidth for decoding one
text token (memory-bound at batch 1). The peaks are vendor datasheet figures (dense fp16/bf16 tensor throughput
and memory bandwidth), NOT measurements; the utilisation (0.4) is an assumption. Measure on a lent GPU before
trusting a figure.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from config import FULL, REDUCED  # noqa: E402

BYTES = 2  # fp16 / bf16
UTILISATION = 0.4
# name: (memory GiB, dense fp16/bf16 tensor TFLOP/s, memory bandwidth GB/s) -- vendor datasheets
GPUS = {"A10G": (24, 70.0, 600), "L4": (24, 121.0, 300), "L40S": (48, 362.0, 864), "A100-80G": (80, 312.0, 2039),
        "H100-80G": (80, 989.0, 3350)}


def text_params(t, prefill):
    d, i, kv = t["hidden_size"], t["intermediate_size"], t["num_key_value_heads"]
    hd = d // t["num_attention_heads"]
    layer = (d * d + d) + 2 * (d * kv * hd + kv * hd) + d * d + 3 * d * i + 2 * d
    return {"embed": t["vocab_size"] * d, "layers": t["num_hidden_layers"] * layer + d,
            "heads": t["vocab_size"] * d + d * d, "prefill": prefill * d, "layer": layer}


def vit_params(v):
    h, i = v["hidden_size"], v["intermediate_size"]
    block = 2 * h + 3 * h * h + 3 * h + h * h + h + 3 * h * i + 2 * i + h
    m = 4 * h
    return v["in_chans"] * v["temporal_patch_size"] * v["patch_size"] ** 2 * h + v["depth"] * block + h + m * m + m + m * v["out_hidden_size"] + v["out_hidden_size"]


def dit_params(c):
    D, hd = c["dim"], c["dim"] // c["num_heads"]
    emb = 2 * (c["timestep_dim"] * D + D + D * D + D) + (c["pooled_dim"] * D + D + D * D + D)
    io = c["context_dim"] * D + D + c["in_channels"] * D + D + D * 2 * D + 2 * D + D * c["in_channels"] + c["in_channels"]
    double = 2 * (D * 6 * D + 6 * D) + 2 * (3 * D * D + 3 * D) + 4 * hd + 2 * (D * D + D) + 2 * (8 * D * D + 5 * D)
    single = D * 3 * D + 3 * D + D * 7 * D + 7 * D + 2 * hd + 5 * D * D + D
    return emb + io + c["double_blocks"] * double + c["single_blocks"] * single


def adapter_params(a):
    return a["in_dim"] * a["hidden"] + 3 * a["hidden"] + a["hidden"] * a["out_dim"] + 3 * a["out_dim"]


def merger_params(cfg):
    d, m = cfg["text"]["hidden_size"], cfg["merger"]
    w, o = m["out_channel"] * m["expand_ratio"], m["out_channel"]
    return m["num_layers"] * text_params(cfg["text"], 0)["layer"] + d + d * w + 2 * w + w * o + 2 * o


def vae_params(c):
    def conv(i, o, k):
        return i * o * k * k + o

    def res(i, o):
        return 2 * i + conv(i, o, 3) + 2 * o + conv(o, o, 3) + (conv(i, o, 1) if i != o else 0)

    mult = c["ch_mult"]
    ch = c["ch"] * mult[-1]
    n = conv(c["z_channels"], ch, 3) + 2 * res(ch, ch) + 2 * ch + 4 * conv(ch, ch, 1)
    for level in reversed(range(len(mult))):
        out = c["ch"] * mult[level]
        for _ in range(c["num_res_blocks"] + 1):
            n += res(ch, out)
            ch = out
        if level != 0:
            n += conv(ch, ch, 3)
    return n + 2 * ch + conv(ch, c["out_ch"], 3)


def counts(cfg):
    t = text_params(cfg["text"], cfg["prefill_tokens"])
    return {"ar_text": t["embed"] + t["layers"] + t["heads"] + t["prefill"], "vision": vit_params(cfg["vision"]),
            "dit": dit_params(cfg["dit"]), "adapter": adapter_params(cfg["adapter"]), "merger": merger_params(cfg),
            "vae_decoder": vae_params(cfg["vae"])}


def model(cfg, context=4096, answer_tokens=200, prompt_tokens=400, steps=50):
    n = counts(cfg)
    t, c = cfg["text"], cfg["dit"]
    hd = t["hidden_size"] // t["num_attention_heads"]
    kv_per_token = 2 * t["num_hidden_layers"] * t["num_key_value_heads"] * hd * BYTES
    gib = 1024 ** 3
    weights = {"understanding (AR + ViT)": (n["ar_text"] + n["vision"]) * BYTES / gib,
               "generation decoder (DiT + adapter)": (n["dit"] + n["adapter"]) * BYTES / gib,
               "editing decoder (DiT + merger)": (n["dit"] + n["merger"]) * BYTES / gib,
               "vae decoder": n["vae_decoder"] * BYTES / gib}
    ar_gib = weights["understanding (AR + ViT)"] + context * kv_per_token / gib
    both = ar_gib + weights["generation decoder (DiT + adapter)"] + weights["vae decoder"] + 2.0  # + activations
    all_resident = both + weights["editing decoder (DiT + merger)"]
    # FLOPs
    active = n["ar_text"] - cfg["text"]["vocab_size"] * t["hidden_size"]  # the embedding table is a lookup
    L_img = (cfg["image_size"] // 16) ** 2
    L = L_img + cfg["prefill_tokens"]
    L_null = L_img + 512  # CFG's null branch: T5 tokens of the empty prompt (512)
    attn_layers = c["double_blocks"] + c["single_blocks"]
    dit_step = 2 * n["dit"] * L + 4 * L * L * c["dim"] * attn_layers
    dit_null = 2 * n["dit"] * L_null + 4 * L_null * L_null * c["dim"] * attn_layers
    image_flops = steps * (dit_step + dit_null)
    prefill_flops = 2 * active * prompt_tokens + 2 * active * (cfg["prefill_tokens"] + 1)
    per_token_bytes = (active + t["hidden_size"] * t["vocab_size"]) * BYTES
    gpus = {}
    for name, (mem, tflops, bw) in GPUS.items():
        rate = tflops * 1e12 * UTILISATION
        gpus[name] = {
            "memory_gib": mem, "fits_understanding": ar_gib + 1.0 <= mem, "fits_ar_plus_generation": both <= mem,
            "fits_all_resident": all_resident <= mem,
            "s_per_image_cfg3_50_steps": round((image_flops + prefill_flops) / rate, 1),
            "s_per_answer": round(prefill_flops / rate + answer_tokens * per_token_bytes / (bw * 1e9), 2)}
    return {"parameters": n, "weights_gib_fp16": {k: round(v, 2) for k, v in weights.items()},
            "kv_cache_mib_per_1k_tokens": round(1000 * kv_per_token / 1024 ** 2, 1),
            "resident_gib": {"understanding_at_context": round(ar_gib, 1), "ar_plus_generation": round(both, 1),
                             "all_resident": round(all_resident, 1)},
            "tflop": {"dit_step_cond": round(dit_step / 1e12, 2), "dit_step_null": round(dit_null / 1e12, 2),
                      "image_50_steps_cfg": round(image_flops / 1e12, 1), "prefill_answer": round(prefill_flops / 1e12, 2)},
            "assumptions": {"utilisation": UTILISATION, "context": context, "prompt_tokens": prompt_tokens,
                            "answer_tokens": answer_tokens, "steps": steps, "image_size": cfg["image_size"],
                            "gpu_figures": "vendor datasheet peaks (dense fp16/bf16 TFLOP/s, GB/s), not measured"},
            "gpus": gpus}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--reduced", action="store_true", help="check the closed forms against the reduced modules")
    args = ap.parse_args(argv)
    if args.reduced:
        from layout import build_modules
        m = build_modules(REDUCED)
        real = {"ar_text": sum(p.numel() for n, p in m["ar"].named_parameters() if not n.startswith("visual.")),
                "vision": sum(p.numel() for p in m["ar"].visual.parameters()),
                "dit": sum(p.numel() for p in m["gen_dit"].parameters()),
                "adapter": sum(p.numel() for p in m["adapter"].parameters()),
                "merger": sum(p.numel() for p in m["merger"].parameters()),
                "vae_decoder": sum(p.numel() for p in m["vae"].parameters())}
        print(json.dumps({"closed_form": counts(REDUCED), "modules": real, "equal": counts(REDUCED) == real}))
        return
    print(json.dumps(model(FULL)))


if __name__ == "__main__":
    main()
