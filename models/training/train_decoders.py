"""Stages 3 and 4: the generation decoder on ground-truth encoder embeddings, then the editing decoder
(initialised from it) on the prefilled transformer's predicted target embeddings plus the source's tokens.
Optional stages 3b/4b (cont_gen_seconds / cont_edit_seconds > 0) continue both from their weights at a lower LR;
3b conditions half of each batch on the prefilled transformer's predictions for generation records, which is what
the decoder is served at inference."""
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


def sample_t(b, gen, device, how):
    """Flow-matching time: "logit_normal" (SD3/FLUX), "uniform", or "mixed" (half each: logit-normal's mass in the
    middle, uniform's coverage near t = 1, where the draws shared by the whole image are decided)."""
    if how == "uniform":
        return torch.rand(b, generator=gen, device=device)
    ln = torch.sigmoid(torch.randn(b, generator=gen, device=device))
    if how == "logit_normal":
        return ln
    u = torch.rand(b, generator=gen, device=device)
    return torch.where(torch.rand(b, generator=gen, device=device) < 0.5, ln, u)


def flow_loss(net_fn, x0, gen, device, p_drop, predict="velocity", objective=None, t_sampling=None, t_min=0.05):
    """net_fn(x_t, t, drop) -> the decoder's raw output; x_t = (1 - t) x0 + t eps.

    objective "velocity" (the default for x0 and velocity heads alike): flow matching, MSE between the velocity the
    exported graph returns and v = eps - x0. An x0 head's velocity is (x_t - x0_hat) / t, the same formula as the
    export, with t clamped at t_min (no sampler with <= 20 steps queries t below 0.05); its minimiser is
    E[x0 | x_t, c], a denoiser that follows x_t, so Euler sampling from different noise reaches different images.
    objective "x0" (runs before bundle 2.0.0): MSE on x0_hat with uniform t."""
    b = x0.shape[0]
    objective = objective or ("x0" if predict == "x0" else "velocity")
    t = sample_t(b, gen, device, t_sampling or ("uniform" if objective == "x0" else "logit_normal"))
    eps = torch.randn(x0.shape, generator=gen, device=device)
    drop = (torch.rand(b, generator=gen, device=device) < p_drop).float()
    tb = t[:, None, None, None]
    xt = (1 - tb) * x0 + tb * eps
    with autocast(device):
        out = net_fn(xt, t, drop).float()
    if objective == "x0":
        return F.mse_loss(out, x0)
    v_hat = (xt - out) / tb.clamp(min=t_min) if predict == "x0" else out
    return F.mse_loss(v_hat, eps - x0)


def fit(loop, dec, opt, sample, noise_gen, device, p_drop, objective=None, t_sampling=None):
    """The decoder step shared by every stage: sample() -> (x0, net_fn(x_t, t, drop)); flow loss; clipped AdamW."""
    for _ in loop:
        x0, net_fn = sample()
        loss = flow_loss(net_fn, x0, noise_gen, device, p_drop, dec.predict, objective, t_sampling)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(dec.parameters(), 1.0)
        opt.step()
        loop.log(loss=loss.detach())
    return loop.close()


def gen_sampler(cfg, images, table, dec, device, seed, predicted=None, targets=None, share=0.5):
    """Batches of (image, its ground-truth tokens); with predicted/targets, a `share` of each batch is instead
    (targets[j]'s pixels, predicted[j]) for random j: the transformer's prediction from the caption alone, which
    (unlike the image's own tokens) does not fix the background shade or the jitter, so the decoder must draw them."""
    gen = torch.Generator().manual_seed(seed)
    pixels = torch.from_numpy(images).to(device)  # uint8, once: no host gather + copy per step on a GPU
    b = cfg["dec_batch"]
    half = int(round(b * share)) if predicted is not None else 0

    def sample():
        idx = torch.randint(0, len(images), (b - half,), generator=gen).to(device)
        img, cond = pixels[idx], table[idx]
        if half:
            j = torch.randint(0, len(targets), (half,), generator=gen).to(device)
            img, cond = torch.cat([img, pixels[targets[j]]]), torch.cat([cond, predicted[j]])
        return to_pixels(img, device), lambda xt, t, d: dec.net(xt, t, cond, d)
    return sample


def edit_sampler(cfg, images, records, table, predicted, dec, device, seed):
    """Batches of (target pixels, predicted target tokens, source tokens) over the edit records."""
    eidx = edit_records(records)
    src, tgt = image_of(records, eidx, 0, device), image_of(records, eidx, -1, device)
    pixels = torch.from_numpy(images).to(device)
    gen = torch.Generator().manual_seed(seed)

    def sample():
        j = torch.randint(0, len(eidx), (cfg["dec_batch"],), generator=gen).to(device)
        cond, source = predicted[j], table[src[j]]
        return to_pixels(pixels[tgt[j]], device), lambda xt, t, d: dec.net(xt, t, cond, source, d)
    return sample


def objective(cfg):
    return cfg.get("dec_objective"), cfg.get("dec_t_sampling")


def train_gen_decoder(cfg, state, images, table, device, predicted=None, targets=None, init=None):
    """predicted/targets (optional): the prefilled transformer's embeddings for generation records and their
    output images; cfg gen_pred_share of each batch is conditioned on them. init: a decoder to start from."""
    torch.manual_seed(cfg["seed"] + 4)
    dec = make_gen_decoder(cfg).to(device)
    if state.done("gen_decoder"):
        return load_weights(dec, state.ckpt("gen_decoder.npz")).to(device).eval()
    if init is not None:
        dec.load_state_dict(init.state_dict())
    opt = torch.optim.AdamW(dec.parameters(), lr=cfg["dec_lr"], weight_decay=0.0)
    loop = StageLoop("gen_decoder", state, cfg["gen_steps"], cfg["gen_seconds"], [dec], [opt], cfg["dec_lr"], save_every=cfg["save_every"], log_every=cfg["log_every"])
    noise_gen = torch.Generator(device=device).manual_seed(cfg["seed"] + 8)
    share = float(cfg.get("gen_pred_share", 0.0))
    sample = gen_sampler(cfg, images, table, dec, device, cfg["seed"] + 5, predicted, targets, share)
    info = fit(loop, dec, opt, sample, noise_gen, device, cfg["p_drop"], *objective(cfg))
    save_weights(dec, state.ckpt("gen_decoder.npz"))
    state.finish("gen_decoder", info)
    return dec.eval()


def edit_records(records):
    return np.array([i for i, r in enumerate(records) if r["task"] == "editing" and len(r["image_ids"]) >= 2], np.int64)


def gen_records(records):
    return np.array([i for i, r in enumerate(records) if r["task"] == "generation" and len(r["image_ids"]) >= 1], np.int64)


def image_of(records, idx, k, device):
    """The k-th image id (global index) of each record in idx, as a tensor on the device (k = -1: the output)."""
    return torch.from_numpy(np.array([records[i]["image_ids"][k] for i in idx], np.int64)).to(device)


def train_edit_decoder(cfg, state, images, records, table, predicted, gen_dec, device, init=None):
    """predicted: [len(edit_records), N, D] target embeddings from one prefilled pass per edit record. Starts from
    gen_dec's weights (the source projection new, zero-initialised) or, given init, from that editing decoder."""
    torch.manual_seed(cfg["seed"] + 6)
    dec = make_edit_decoder(cfg).to(device)
    if state.done("edit_decoder"):
        return load_weights(dec, state.ckpt("edit_decoder.npz")).to(device).eval()
    missing, unexpected = dec.load_state_dict((init or gen_dec).state_dict(), strict=False)
    assert not unexpected, unexpected
    opt = torch.optim.AdamW(dec.parameters(), lr=cfg["dec_lr"] * 0.5, weight_decay=0.0)
    loop = StageLoop("edit_decoder", state, cfg["edit_steps"], cfg["edit_seconds"], [dec], [opt], cfg["dec_lr"] * 0.5, warmup=50, save_every=cfg["save_every"], log_every=cfg["log_every"])
    noise_gen = torch.Generator(device=device).manual_seed(cfg["seed"] + 9)
    sample = edit_sampler(cfg, images, records, table, predicted, dec, device, cfg["seed"] + 7)
    info = fit(loop, dec, opt, sample, noise_gen, device, cfg["p_drop"], *objective(cfg))
    info["new_parameters_beyond_gen_decoder"] = sorted(missing)
    save_weights(dec, state.ckpt("edit_decoder.npz"))
    state.finish("edit_decoder", info)
    return dec.eval()


def continue_decoder(cfg, state, name, dec, sample_of, device, seed):
    """Stages 3b/4b: more seconds (cfg cont_<name>_seconds) for a finished decoder, from its weights, at
    cont_lr_scale x dec_lr; the weights file is overwritten, so export and a resumed run pick up the result."""
    stage, seconds = f"{name}_decoder_cont", float(cfg.get(f"cont_{name}_seconds", 0))
    if seconds <= 0 or state.done(stage):
        return dec
    lr = cfg["dec_lr"] * float(cfg.get("cont_lr_scale", 0.3))
    dec.train()
    opt = torch.optim.AdamW(dec.parameters(), lr=lr, weight_decay=0.0)
    loop = StageLoop(stage, state, 10 ** 9, seconds, [dec], [opt], lr, warmup=50, save_every=cfg["save_every"], log_every=cfg["log_every"])
    noise_gen = torch.Generator(device=device).manual_seed(seed)
    info = fit(loop, dec, opt, sample_of(dec), noise_gen, device, cfg["p_drop"], *objective(cfg))
    save_weights(dec, state.ckpt(f"{name}_decoder.npz"))
    state.finish(stage, info)
    return dec.eval()
