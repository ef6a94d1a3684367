"""Stages 3 and 4: the generation decoder on ground-truth encoder embeddings, then the editing decoder
(initialised from it) on the prefilled transformer's predicted target embeddings plus the source's tokens."""
import numpy as np
import torch
import torch.nn.functional as F

from checkpoint import StageLoop, load_weights, save_weights
from decoder import EditDecoder, FlowDecoder, GridDecoder, GridEditDecoder
from train_encoder import autocast, to_pixels


def decoder_kw(cfg):
    # Runs from before the grid decoder (no dec_arch / dec_predict in config.json) keep their old 4x4-patch DiT.
    kw = {"patch": cfg.get("dec_patch", 4), "predict": cfg.get("dec_predict", "velocity")}
    if cfg.get("dec_arch", "dit") == "grid":
        kw["head_hidden"] = cfg["dec_head_hidden"]
    return kw


def make_gen_decoder(cfg):
    cls = GridDecoder if cfg.get("dec_arch", "dit") == "grid" else FlowDecoder
    return cls(cfg["dim"], cfg["dec_width"], cfg["dec_depth"], cfg["dec_heads"], **decoder_kw(cfg))


def make_edit_decoder(cfg):
    if cfg.get("dec_arch", "dit") == "grid":
        return GridEditDecoder(cfg["dim"], cfg["dec_width"], cfg["dec_depth"], cfg["dec_heads"], **decoder_kw(cfg))
    return EditDecoder(cfg["dim"], cfg["dec_width"], cfg["dec_depth"], cfg["dec_heads"], merge_heads=cfg["heads"], **decoder_kw(cfg))


def flow_loss(net_fn, x0, gen, device, p_drop, predict="velocity"):
    """net_fn(x_t, t, drop) -> the decoder's raw output. x0 prediction: t uniform in [0, 1] so that t = 1 (where
    sampling starts, from pure noise) is trained as often as the rest; velocity: logit-normal t (SD3/FLUX)."""
    b = x0.shape[0]
    if predict == "x0":
        t = torch.rand(b, generator=gen, device=device)
    else:
        t = torch.sigmoid(torch.randn(b, generator=gen, device=device))
    eps = torch.randn(x0.shape, generator=gen, device=device)
    drop = (torch.rand(b, generator=gen, device=device) < p_drop).float()
    xt = (1 - t)[:, None, None, None] * x0 + t[:, None, None, None] * eps
    with autocast(device):
        out = net_fn(xt, t, drop)
    return F.mse_loss(out.float(), x0 if predict == "x0" else eps - x0)


def train_gen_decoder(cfg, state, images, table, device):
    torch.manual_seed(cfg["seed"] + 4)
    dec = make_gen_decoder(cfg).to(device)
    if state.done("gen_decoder"):
        return load_weights(dec, state.ckpt("gen_decoder.npz")).to(device).eval()
    opt = torch.optim.AdamW(dec.parameters(), lr=cfg["dec_lr"], weight_decay=0.0)
    loop = StageLoop("gen_decoder", state, cfg["gen_steps"], cfg["gen_seconds"], [dec], [opt], cfg["dec_lr"], save_every=cfg["save_every"], log_every=cfg["log_every"])
    gen = torch.Generator().manual_seed(cfg["seed"] + 5)
    noise_gen = torch.Generator(device=device).manual_seed(cfg["seed"] + 8)
    pixels = torch.from_numpy(images).to(device)  # uint8, once: no host gather + copy per step on a GPU
    for _ in loop:
        idx = torch.randint(0, len(images), (cfg["dec_batch"],), generator=gen)
        x0 = to_pixels(pixels[idx.to(device)], device)
        cond = table[idx.to(device)]
        loss = flow_loss(lambda xt, t, d: dec.net(xt, t, cond, d), x0, noise_gen, device, cfg["p_drop"], dec.predict)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(dec.parameters(), 1.0)
        opt.step()
        loop.log(loss=loss.detach())
    info = loop.close()
    save_weights(dec, state.ckpt("gen_decoder.npz"))
    state.finish("gen_decoder", info)
    return dec.eval()


def edit_records(records):
    return np.array([i for i, r in enumerate(records) if r["task"] == "editing" and len(r["image_ids"]) >= 2], np.int64)


def train_edit_decoder(cfg, state, images, records, table, predicted, gen_dec, device):
    """predicted: [len(edit_records), N, D] target embeddings from one prefilled pass per edit record."""
    torch.manual_seed(cfg["seed"] + 6)
    dec = make_edit_decoder(cfg).to(device)
    if state.done("edit_decoder"):
        return load_weights(dec, state.ckpt("edit_decoder.npz")).to(device).eval()
    missing, unexpected = dec.load_state_dict(gen_dec.state_dict(), strict=False)
    assert not unexpected, unexpected
    eidx = edit_records(records)
    src = torch.from_numpy(np.array([records[i]["image_ids"][0] for i in eidx])).to(device)
    tgt = torch.from_numpy(np.array([records[i]["image_ids"][-1] for i in eidx])).to(device)
    pixels = torch.from_numpy(images).to(device)
    opt = torch.optim.AdamW(dec.parameters(), lr=cfg["dec_lr"] * 0.5, weight_decay=0.0)
    loop = StageLoop("edit_decoder", state, cfg["edit_steps"], cfg["edit_seconds"], [dec], [opt], cfg["dec_lr"] * 0.5, warmup=50, save_every=cfg["save_every"], log_every=cfg["log_every"])
    gen = torch.Generator().manual_seed(cfg["seed"] + 7)
    noise_gen = torch.Generator(device=device).manual_seed(cfg["seed"] + 9)
    for _ in loop:
        j = torch.randint(0, len(eidx), (cfg["dec_batch"],), generator=gen)
        jd = j.to(device)
        x0 = to_pixels(pixels[tgt[jd]], device)
        cond, source = predicted[jd], table[src[jd]]
        loss = flow_loss(lambda xt, t, d: dec.net(xt, t, cond, source, d), x0, noise_gen, device, cfg["p_drop"], dec.predict)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(dec.parameters(), 1.0)
        opt.step()
        loop.log(loss=loss.detach())
    info = loop.close()
    info["new_parameters_beyond_gen_decoder"] = sorted(missing)
    save_weights(dec, state.ckpt("edit_decoder.npz"))
    state.finish("edit_decoder", info)
    return dec.eval()
