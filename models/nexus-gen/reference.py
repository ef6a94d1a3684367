"""The PyTorch reference run of the parity check (scripts/parity-nexus-gen.ts writes the case, this answers it).

  python3 models/nexus-gen/reference.py CHECKPOINT_DIR CASE.json OUT.json

Case: {"understand": {"ids": [...], "image_start": i, "image": {"width", "height", "rgb": [...]}, "max_new_tokens"},
       "generate": {"ids": [...], "steps": S, "noise": [...], "edit_source": {"width", "height", "rgb"}}}  (noise: the runtime's seeded Gaussian, CHW latent)
Answer: prompt logits [T, V], greedy ids, vision embeds, the 81 prefilled image embeddings, the first decoder
velocity, the sampled latent, the decoded pixels and the sha256 of the RGB bytes (HWC, round((x+1)*127.5),
clamped to 0..255: the runtime's rule).
"""
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import schedule  # noqa: E402
from config import load_config  # noqa: E402
from layout import load_constants, load_modules  # noqa: E402
from qwen_vit import patchify, vision_inputs  # noqa: E402
from rope_index import image_positions, rope_index  # noqa: E402

VIS_KEYS = ["patch_positions", "window_index", "window_segments", "image_segments", "reverse_index"]


def encode_image(ar, rgb, cfg):
    px, grid = patchify(rgb, cfg["vision"])
    vi = vision_inputs([grid], cfg["vision"])
    return ar.visual(torch.tensor(px), *[torch.tensor(vi[k]) for k in VIS_KEYS]), grid


def masked_ids(cfg, tokenizer_size):
    sp = cfg["special"]
    ids = [sp["vision_start"], sp["vision_end"], sp["image_pad"], sp["im_start"], sp["endoftext"]]
    return ids + list(range(tokenizer_size, cfg["text"]["vocab_size"]))


def understand(ar, cfg, case, tokenizer_size):
    ids = case["ids"]
    img = case["image"]
    rgb = np.array(img["rgb"], np.uint8).reshape(img["height"], img["width"], 3)
    vis, grid = encode_image(ar, rgb, cfg)
    x = ar.model.embed_tokens(torch.tensor([ids]))
    s = case["image_start"]
    x[0, s:s + vis.shape[0]] = vis
    pos, nxt = rope_index(len(ids), [(s, grid)], cfg["vision"]["spatial_merge_size"])
    mask = torch.ones(1, len(ids), dtype=torch.long)
    logits, _, past = ar(x, mask, torch.tensor(pos)[:, None], ar.empty_past(1))
    prompt_logits = logits[0]
    banned = masked_ids(cfg, tokenizer_size)
    out, last = [], logits[0, -1].clone()
    for _ in range(case["max_new_tokens"]):
        last[banned] = float("-inf")
        tok = int(torch.argmax(last))
        if tok == cfg["special"]["im_end"]:
            break
        out.append(tok)
        mask = torch.ones(1, mask.shape[1] + 1, dtype=torch.long)
        p = torch.full((3, 1, 1), nxt, dtype=torch.long)
        nxt += 1
        logits, _, past = ar(ar.model.embed_tokens(torch.tensor([[tok]])), mask, p, past)
        last = logits[0, -1].clone()
    return {"vision_embeds": vis, "prompt_logits": prompt_logits, "greedy_ids": out}


def prefill_image(ar, cfg, ids):
    """Prompt pass, then <|vision_start|> + 81 prefill rows in one pass; row j predicts image embedding j."""
    sp = cfg["special"]
    pos, nxt = rope_index(len(ids), [], cfg["vision"]["spatial_merge_size"])
    mask = torch.ones(1, len(ids), dtype=torch.long)
    _, _, past = ar(ar.model.embed_tokens(torch.tensor([ids])), mask, torch.tensor(pos)[:, None], ar.empty_past(1))
    n = cfg["prefill_tokens"]
    window = torch.cat([ar.model.embed_tokens(torch.tensor([[sp["vision_start"]]])),
                        ar.image_prefill_embeds.weight[None]], dim=1)
    wpos = np.concatenate([np.full((3, 1), nxt), image_positions(nxt + 1, cfg["output_grid"], cfg["vision"]["spatial_merge_size"])], 1)
    mask = torch.ones(1, len(ids) + n + 1, dtype=torch.long)
    _, embeds, _ = ar(window, mask, torch.tensor(wpos)[:, None], past)
    return embeds[0, :n]


def sample(modules, constants, cfg, condition, noise, steps):
    dit, adapter = modules["gen_dit"], modules["adapter"]
    pooled = constants["pooled_prompt_emb"].float()
    ctx = adapter(condition[None])
    text_ids = torch.zeros(1, ctx.shape[1], 3)
    g = torch.tensor([schedule.DEFAULTS["generation"]["embedded_guidance"]])
    sig = schedule.shifted_sigmas(steps)
    x = noise.clone()
    first = None
    for i in range(steps):
        v = dit(x, torch.tensor([sig[i] * 1000], dtype=torch.float32), ctx, pooled, g, text_ids)
        if first is None:
            first = v
        x = x + v * (sig[i + 1] - sig[i])
    return first[0], x


def edit_velocity(modules, constants, cfg, condition, source, noise):
    """The editing decoder's first velocity: merger(target tokens ++ source tokens) as context, the rescaled ids."""
    from flux_dit import edit_text_ids
    ctx = modules["merger"](condition[None], source[None])
    _, _, h, w = noise.shape
    g = torch.tensor([schedule.DEFAULTS["editing"]["embedded_guidance"]])
    sigma = schedule.shifted_sigmas(1)[0]
    pooled = constants["pooled_prompt_emb"].float()
    return modules["edit_dit"](noise, torch.tensor([sigma * 1000], dtype=torch.float32), ctx, pooled, g,
                               edit_text_ids(cfg, 1, h, w))[0]


def to_rgb(pixels):
    a = torch.clamp(torch.round((pixels[0] + 1) * 127.5), 0, 255).to(torch.uint8)
    return a.permute(1, 2, 0).contiguous().numpy()


def main(argv=None):
    ckpt, case_path, out_path = (argv or sys.argv[1:])[:3]
    torch.set_num_threads(2)
    cfg = load_config(ckpt)
    modules, _ = load_modules(ckpt, cfg)
    constants = load_constants(ckpt, cfg)
    with open(case_path, encoding="utf-8") as f:
        case = json.load(f)
    with open(os.path.join(ckpt, "Nexus-GenV2", "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    tokenizer_size = max([*tok["model"]["vocab"].values(), *[t["id"] for t in tok["added_tokens"]]]) + 1
    ar = modules["ar"]
    with torch.no_grad():
        u = understand(ar, cfg, case["understand"], tokenizer_size)
        gcase = case["generate"]
        embeds = prefill_image(ar, cfg, gcase["ids"])
        lat = cfg["image_size"] // 8
        noise = torch.tensor(gcase["noise"], dtype=torch.float32).reshape(1, 16, lat, lat)
        velocity, latent = sample(modules, constants, cfg, embeds, noise, gcase["steps"])
        pixels = modules["vae"](latent)
        src = gcase["edit_source"]
        src_rgb = np.array(src["rgb"], np.uint8).reshape(src["height"], src["width"], 3)
        source, _ = encode_image(ar, src_rgb, cfg)
        edit_v = edit_velocity(modules, constants, cfg, embeds, source, noise)
    rgb = to_rgb(pixels)
    flat = lambda t: [float(v) for v in t.reshape(-1).tolist()]  # noqa: E731
    result = {"prompt_logits": flat(u["prompt_logits"]), "greedy_ids": u["greedy_ids"],
              "vision_embeds": flat(u["vision_embeds"]), "image_embeds": flat(embeds), "velocity": flat(velocity), "edit_velocity": flat(edit_v),
              "latent": flat(latent), "pixels": flat(pixels), "rgb_sha256": hashlib.sha256(rgb.tobytes()).hexdigest()}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
