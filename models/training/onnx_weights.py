"""Re-creates the trainer's PyTorch modules from a bundle's ONNX files, for `npm run bench:model` when the
training run folder is not at hand: the architecture comes from the manifest and the initializers' shapes, the
weights from the initializers (torch.onnx renames MatMul weights and folds a few constants; they are mapped back by
the scope of the node that consumes them), and the result is verified against the bundle's goldens (≤ 1e-4).
"""
import json
import os

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from decoder import EditDecoder, FlowDecoder, GridDecoder, GridEditDecoder
from encoder import VisionEncoder
from transformer import ARTransformer


def scope_path(node_name):
    """'/ar/blocks.0/mlp/mlp.0/MatMul' -> 'ar.blocks.0.mlp.0' (nested Sequential scopes repeat their parent)."""
    out = []
    for part in node_name.strip("/").split("/")[:-1]:
        if out and part.startswith(out[-1] + "."):
            out[-1] = part
        else:
            out.append(part)
    return ".".join(out)


def load_onnx(path):
    model = onnx.load(path)
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    # torch.onnx stores equal tensors once and names the copies through Identity nodes.
    for node in model.graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    consumers = {}
    for node in model.graph.node:
        for name in node.input:
            if name in inits:
                consumers.setdefault(name, []).append(node)
    return inits, consumers


def fill_module(module, path, strip_prefix="", skip=()):
    inits, consumers = load_onnx(path)
    state = module.state_dict()
    if strip_prefix == "auto":
        # The export wraps the module (e.g. as `ar`); its parameter names carry that prefix.
        strip_prefix = next((n[: -len(k)] for k in state for n in inits if n.endswith("." + k)), "")
    loaded, used = {}, set()
    for key in state:
        name = strip_prefix + key
        if name in inits and tuple(inits[name].shape) == tuple(state[key].shape):
            loaded[key] = inits[name]
            used.add(name)
    # Linear weights: consumed by '<scope>/MatMul' as a transposed, renamed initializer.
    for name, nodes in consumers.items():
        if name in used or nodes[0].op_type != "MatMul":
            continue
        key = scope_path(nodes[0].name)[len(strip_prefix):] + ".weight"
        if key in state and key not in loaded and tuple(inits[name].T.shape) == tuple(state[key].shape):
            loaded[key] = inits[name].T
            used.add(name)
    # Folded constants (parameter + unsqueeze/slice/concat): matched within the consuming node's scope by size.
    leftover = [n for n in inits if n not in used and n in consumers]
    for key in [k for k in state if k not in loaded and k not in skip]:
        scope = key.rsplit(".", 1)[0] if "." in key else ""
        numel = state[key].numel()
        cands = [n for n in leftover if scope_path(consumers[n][0].name)[len(strip_prefix):] == scope]
        same = [n for n in cands if inits[n].size == numel]
        if same:
            loaded[key] = inits[same[0]].reshape(state[key].shape)
            leftover.remove(same[0])
            continue
        parts = [n for n in cands if inits[n].size < numel]
        if parts and sum(inits[n].size for n in parts) == numel:
            loaded[key] = np.concatenate([inits[n].reshape(-1) for n in parts]).reshape(state[key].shape)
            for n in parts:
                leftover.remove(n)
            continue
        bigger = [n for n in cands if inits[n].size % numel == 0 and inits[n].size > numel]
        if bigger:
            flat = inits[bigger[0]].reshape(-1)
            loaded[key] = flat[:numel].reshape(state[key].shape)
            continue
        raise ValueError(f"{os.path.basename(path)}: no initializer for {key}")
    module.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)).float() for k, v in loaded.items()}, strict=not skip)
    return module.eval()


def golden_inputs(goldens, stage, case=0):
    c = goldens[stage][case]
    to = lambda t: torch.tensor(t["data"], dtype=torch.long if t["dtype"] == "int64" else torch.float32).reshape(t["dims"])
    return {k: to(v) for k, v in c["inputs"].items()}, {k: to(v) for k, v in c["outputs"].items()}


def matches(out, expected, tol=1e-4):
    return out.shape == expected.shape and float((out - expected).abs().max()) <= tol


def load_bundle_models(bundle):
    """-> (cfg like the trainer's config.json, {'ar': {'prefill': ...}, 'gen': ..., 'edit': ..., 'encoder': ...})."""
    with open(os.path.join(bundle, "manifest.json"), encoding="utf-8") as f:
        man = json.load(f)
    with open(os.path.join(bundle, man["files"]["goldens"]["path"]), encoding="utf-8") as f:
        goldens = json.load(f)
    p = lambda stage: os.path.join(bundle, man["files"][stage]["path"])
    dim, heads = man["hidden_size"], man["num_heads"]
    ar = fill_module(ARTransformer(man["vocab_size"], dim, man["num_layers"], heads, man["max_positions"], man["embed_dim"]), p("transformer"), "auto", skip=("embed.weight",))
    emb, _ = load_onnx(p("token_embedding"))
    with torch.no_grad():
        ar.embed.weight.copy_(torch.from_numpy(next(v for v in emb.values() if v.shape == tuple(ar.embed.weight.shape))))
    gen_inits, _ = load_onnx(p("gen_decoder"))
    width = gen_inits["pos"].shape[-1]
    depth = len({k.split(".")[1] for k in gen_inits if k.startswith("blocks.")})
    enc_inits, _ = load_onnx(p("vision_encoder"))
    enc_width = enc_inits["convs.0.weight"].shape[0]
    models = {"ar": {"prefill": ar}}
    # The grid decoder has one token per condition token and an MLP head (out.0); the older DiT has 4x4-pixel patches.
    if gen_inits["pos"].shape[1] == man["image_tokens"] and "out.0.bias" in gen_inits:
        kw = {"patch": man["image"]["size"] // man["image_grid"][0], "head_hidden": gen_inits["out.0.bias"].shape[0]}
        make_gen = lambda h: GridDecoder(man["embed_dim"], width, depth, h, **kw)
        make_edit = lambda h: GridEditDecoder(man["embed_dim"], width, depth, h, **kw)
    else:
        make_gen = lambda h: FlowDecoder(man["embed_dim"], width, depth, h)
        make_edit = lambda h: EditDecoder(man["embed_dim"], width, depth, h, merge_heads=heads)
    checks = [("gen", "gen_decoder", make_gen, ["sample", "timestep", "condition", "drop_condition"]),
              ("edit", "edit_decoder", make_edit, ["sample", "timestep", "condition", "source", "drop_condition"]),
              ("encoder", "vision_encoder", lambda h: VisionEncoder(man["embed_dim"], enc_width, heads=h), ["pixel_values"])]
    for key, stage, make, names in checks:
        ins, outs = golden_inputs(goldens, stage)
        expected = next(iter(outs.values()))
        found = None
        # Head counts leave no trace in the weights' shapes; the goldens tell which one the model was trained with.
        size = width if key != "encoder" else man["embed_dim"]
        for h in [heads] + [h for h in range(1, 33) if h != heads]:
            if size % h:
                continue
            module = fill_module(make(h), p(stage))
            with torch.no_grad():
                if matches(module(*[ins[n] for n in names]), expected):
                    found = module
                    break
        if found is None:
            raise ValueError(f"{stage}: no head count reproduces the goldens")
        models[key] = found
    ins, outs = golden_inputs(goldens, "transformer")
    n_layers = man["num_layers"]
    past = [(ins[f"past_key_values.{i}.key"], ins[f"past_key_values.{i}.value"]) for i in range(n_layers)]
    with torch.no_grad():
        logits, _, _ = ar(ins["inputs_embeds"], ins["attention_mask"], ins["position_ids"], past)
    if not matches(logits, outs["logits"]):
        raise ValueError("transformer: the re-created weights do not reproduce the goldens")
    cfg = {"dim": dim, "special": man["special_tokens"], "image_tokens": man["image_tokens"]}
    return cfg, models
