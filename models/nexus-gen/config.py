"""Architecture sizes of Nexus-Gen V2 (published) and the reduced test replica (same structure, small widths).

Published figures: Qwen2.5-VL-7B-Instruct's config.json (huggingface/transformers
models/qwen2_5_vl/configuration_qwen2_5_vl.py for the field names), FLUX.1-dev's DiT as DiffSynth-Studio's
diffsynth/models/flux_dit.py builds it (FluxDiT: 3072 wide, 24 heads, 19 double + 38 single blocks, rope axes
16/56/56), the Nexus-Gen adapter (modelscope/Nexus-Gen modeling/decoder/generation_decoder.py) and editing merger
(modeling/decoder/modules.py, editing_decoder.py: 1 layer, out 4096, expand 4), and FLUX's autoencoder
(black-forest-labs/flux src/flux/modules/autoencoder.py: ch 128, mult 1,2,4,4, 2 res blocks, z 16,
scale 0.3611, shift 0.1159).
A checkpoint folder may carry `nexus_gen_config.json` (the reduced replica does); without it the published
sizes apply, with the text/vision fields read from the AR model's config.json.
"""
import copy
import json
import os

SPECIAL = {"endoftext": 151643, "im_start": 151644, "im_end": 151645, "vision_start": 151652,
           "vision_end": 151653, "image_pad": 151655}

FULL = {
    "text": {"vocab_size": 152064, "hidden_size": 3584, "intermediate_size": 18944, "num_hidden_layers": 28,
             "num_attention_heads": 28, "num_key_value_heads": 4, "rope_theta": 1000000.0, "rms_norm_eps": 1e-6,
             "mrope_section": [16, 24, 24], "max_position_embeddings": 128000},
    "vision": {"depth": 32, "hidden_size": 1280, "num_heads": 16, "intermediate_size": 3420, "out_hidden_size": 3584,
               "patch_size": 14, "temporal_patch_size": 2, "spatial_merge_size": 2, "window_size": 112,
               "fullatt_block_indexes": [7, 15, 23, 31], "in_chans": 3, "tokens_per_second": 2},
    "prefill_tokens": 81,
    "output_grid": [1, 18, 18],          # target image 252x252 -> 18x18 patches -> 9x9 merged = 81 tokens
    "dit": {"dim": 3072, "num_heads": 24, "double_blocks": 19, "single_blocks": 38, "in_channels": 64,
            "context_dim": 4096, "pooled_dim": 768, "timestep_dim": 256, "axes_dim": [16, 56, 56], "theta": 10000},
    "adapter": {"in_dim": 3584, "hidden": 4096, "out_dim": 4096},
    "merger": {"num_layers": 1, "out_channel": 4096, "expand_ratio": 4, "base_grid": [1, 72, 72],
               "target_grid": [1, 18, 18], "ref_grid": [1, 36, 36]},
    "vae": {"ch": 128, "ch_mult": [1, 2, 4, 4], "num_res_blocks": 2, "z_channels": 16, "out_ch": 3,
            "scale_factor": 0.3611, "shift_factor": 0.1159},
    "image_size": 512,                     # decoder output (latent 64x64, 1024 DiT tokens)
    "special": SPECIAL,
}

# Same structure, tiny widths: every count that the structure depends on (81 prefill slots, 2x2 merge, patch
# 14, window 112, windowed and full-attention layers, GQA, 3 M-RoPE sections, double + single blocks, 3 rope
# axes, 4 VAE levels with 32-group norms) is kept.
REDUCED = copy.deepcopy(FULL)
REDUCED["text"].update({"vocab_size": 512, "hidden_size": 64, "intermediate_size": 96, "num_hidden_layers": 2,
                        "num_attention_heads": 4, "num_key_value_heads": 2, "mrope_section": [2, 3, 3],
                        "max_position_embeddings": 4096})
REDUCED["vision"].update({"depth": 4, "hidden_size": 32, "num_heads": 2, "intermediate_size": 48,
                          "out_hidden_size": 64, "fullatt_block_indexes": [1, 3]})
REDUCED["dit"].update({"dim": 64, "num_heads": 2, "double_blocks": 2, "single_blocks": 2, "context_dim": 48,
                       "pooled_dim": 16, "timestep_dim": 256, "axes_dim": [8, 12, 12]})
REDUCED["adapter"].update({"in_dim": 64, "hidden": 48, "out_dim": 48})
REDUCED["merger"].update({"out_channel": 48, "expand_ratio": 2})
REDUCED["vae"].update({"ch": 32, "ch_mult": [1, 2, 4, 4]})
REDUCED["image_size"] = 64                 # latent 8x8 -> 16 DiT tokens


def load_config(checkpoint_dir):
    path = os.path.join(checkpoint_dir, "nexus_gen_config.json")
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    cfg = copy.deepcopy(FULL)
    ar = os.path.join(checkpoint_dir, "Nexus-GenV2", "config.json")
    if os.path.exists(ar):
        with open(ar, encoding="utf-8") as f:
            hf = json.load(f)
        for k in cfg["text"]:
            if k in hf:
                cfg["text"][k] = hf[k]
        if "rope_scaling" in hf:
            cfg["text"]["mrope_section"] = hf["rope_scaling"]["mrope_section"]
        for k in cfg["vision"]:
            if k in hf.get("vision_config", {}):
                cfg["vision"][k] = hf["vision_config"][k]
    return cfg
