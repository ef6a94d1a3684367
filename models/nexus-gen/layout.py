"""The published checkpoint layout of Nexus-Gen V2 and how it maps onto the reference modules.

Files (as modelscope/Nexus-Gen download_models.py fetches them and its decoders load them):
  Nexus-GenV2/model*.safetensors     the AR model: Qwen2_5_VLForConditionalGeneration names (model., lm_head.,
                                     vision_head., image_prefill_embeds., visual.)
  Nexus-GenV2/generation_decoder.bin `pipe.dit.` (DiffSynth FluxDiT) + `adapter.` (generation_decoder.py)
  Nexus-GenV2/edit_decoder.bin       `pipe.dit.` + `embedding_merger.` (editing_decoder.py)
  FLUX/FLUX.1-dev/ae.safetensors     FLUX autoencoder; `decoder.` is served, `encoder.` is known and unused
  nexus_gen_constants.safetensors    pooled_prompt_emb (not published: CLIP-L pooled output of "")
A name the modules do not define, or a module parameter the files lack, fails the load with both lists.
"""
import glob
import os

import torch

import safetensors_io
from flux_dit import EmbeddingMerger, FluxDiT, make_adapter
from flux_vae import VaeDecoder
from qwen2_decoder import NexusGenAR

# Prefixes present in published files that serving does not use (listed, never silently dropped elsewhere).
KNOWN_UNUSED = ("encoder.", "pipe.text_encoder", "pipe.vae")


class CheckpointMismatchError(Exception):
    pass


def build_modules(cfg):
    return {"ar": NexusGenAR(cfg), "gen_dit": FluxDiT(cfg["dit"]), "adapter": make_adapter(cfg["adapter"]),
            "edit_dit": FluxDiT(cfg["dit"]), "merger": EmbeddingMerger(cfg), "vae": VaeDecoder(cfg["vae"])}


def _read(path):
    if path.endswith(".safetensors"):
        return safetensors_io.load(path)
    return torch.load(path, map_location="cpu")


def _first(*patterns):
    for p in patterns:
        hits = sorted(glob.glob(p))
        if hits:
            return hits
    raise CheckpointMismatchError(f"no file matches {patterns[0]}")


def read_checkpoint(root):
    """{module key: {param name: tensor}} plus the list of names ignored by design."""
    ar = {}
    for path in _first(os.path.join(root, "Nexus-GenV2", "model*.safetensors")):
        for k, v in safetensors_io.load(path).items():
            # transformers >= 4.52 saves Qwen2.5-VL as model.language_model.* / model.visual.*; same tensors.
            k = "model." + k[len("model.language_model."):] if k.startswith("model.language_model.") else k
            ar["visual." + k[len("model.visual."):] if k.startswith("model.visual.") else k] = v
    gen = _read(_first(os.path.join(root, "Nexus-GenV2", "generation_decoder.safetensors"),
                       os.path.join(root, "Nexus-GenV2", "generation_decoder.bin"))[0])
    edit = _read(_first(os.path.join(root, "Nexus-GenV2", "edit_decoder.safetensors"),
                        os.path.join(root, "Nexus-GenV2", "edit_decoder.bin"))[0])
    ae = safetensors_io.load(_first(os.path.join(root, "FLUX", "FLUX.1-dev", "ae.safetensors"))[0])
    groups = {"ar": ar, "gen_dit": {}, "adapter": {}, "edit_dit": {}, "merger": {}, "vae": {}}
    ignored, unexpected = [], []
    for k, v in gen.items():
        if k.startswith("adapter."):
            groups["adapter"][k[len("adapter."):]] = v
        elif k.startswith("pipe.dit."):
            groups["gen_dit"][k[len("pipe.dit."):]] = v
        else:
            unexpected.append(f"generation_decoder:{k}")
    for k, v in edit.items():
        if k.startswith("embedding_merger."):
            groups["merger"][k[len("embedding_merger."):]] = v
        elif k.startswith("pipe.dit."):
            groups["edit_dit"][k[len("pipe.dit."):]] = v
        else:
            unexpected.append(f"edit_decoder:{k}")
    for k, v in ae.items():
        if k.startswith("decoder."):
            groups["vae"][k] = v
        elif k.startswith(KNOWN_UNUSED):
            ignored.append(f"ae:{k}")
        else:
            unexpected.append(f"ae:{k}")
    return groups, ignored, unexpected


def load_modules(root, cfg):
    """Builds the reference modules and loads the checkpoint; raises CheckpointMismatchError listing every
    missing and unexpected name. Returns (modules, report)."""
    modules = build_modules(cfg)
    groups, ignored, unexpected = read_checkpoint(root)
    missing = []
    for key, mod in modules.items():
        want = mod.state_dict()
        have = groups[key]
        missing += [f"{key}:{n}" for n in want if n not in have]
        unexpected += [f"{key}:{n}" for n in have if n not in want]
        for n, t in have.items():
            if n in want and tuple(want[n].shape) != tuple(t.shape):
                unexpected.append(f"{key}:{n} shape {tuple(t.shape)} != {tuple(want[n].shape)}")
    if missing or unexpected:
        raise CheckpointMismatchError("checkpoint does not match the Nexus-Gen layout; missing: "
                                      + (", ".join(missing) or "-") + "; unexpected: " + (", ".join(unexpected) or "-"))
    for key, mod in modules.items():
        mod.load_state_dict({n: t.float() for n, t in groups[key].items()})
        mod.eval()
    mapped = sum(len(g) for g in groups.values())
    return modules, {"mapped_parameters": mapped, "unmapped_parameters": 0, "ignored": len(ignored)}


def load_constants(root, cfg):
    path = os.path.join(root, "nexus_gen_constants.safetensors")
    if not os.path.exists(path):
        raise CheckpointMismatchError(
            "nexus_gen_constants.safetensors (pooled_prompt_emb: CLIP-L's pooled output for the empty prompt, shape "
            f"[1, {cfg['dit']['pooled_dim']}]) is missing; models/nexus-gen/README.md says how to make it")
    return safetensors_io.load(path)
