"""Stage 2: the autoregressive transformer, prefilled (the recipe) and teacher-forced (the ablation), trained in
lockstep on the very same batches from the same initial weights, in three sub-stages: understanding +
generation, then + editing (everything), then a short low-LR pass over a small balanced clean subset."""
import os

import numpy as np
import torch
import torch.nn.functional as F

from ar_batches import assemble, masks, take
from checkpoint import StageLoop, load_weights, save_weights
from train_decoders import edit_records, image_of
from train_encoder import autocast
from transformer import ARTransformer

VARIANTS = ("prefill", "teacher")


def make_transformer(cfg, vocab_size):
    return ARTransformer(vocab_size, cfg["dim"], cfg["layers"], cfg["heads"], cfg["max_positions"], cfg["dim"])


def ar_losses(model, batch, table, teacher_forcing, device, tok_weight=None):
    """tok_weight (optional, one weight per row of the flat image-token table): weights each predicted
    embedding's MSE and cosine terms by its target row's weight."""
    attn, pos = masks(batch)
    with autocast(device):
        x = assemble(model, batch, table, teacher_forcing)
        logits, pred, _ = model(x, attn, pos, model.empty_past(x.shape[0], device))
    ce = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), batch["labels"].reshape(-1), ignore_index=-100)
    m = batch["img_tgt"] >= 0
    p = pred.float()[m]
    g = table[batch["img_tgt"][m]]
    if tok_weight is None:
        mse = F.mse_loss(p, g)
        cos = F.cosine_similarity(p, g, dim=-1).mean()
    else:
        w = tok_weight[batch["img_tgt"][m]]
        mse = (w * (p - g).pow(2).mean(-1)).sum() / w.sum()
        cos = (w * F.cosine_similarity(p, g, dim=-1)).sum() / w.sum()
    return ce + 0.5 * mse + 0.5 * (1 - cos), ce, mse, cos


def sub_stage_pools(records, cfg, seed):
    tasks = np.array([r["task"] for r in records])
    everything = np.arange(len(records))
    und_gen = everything[np.isin(tasks, ["understanding", "generation"])]
    rng = np.random.default_rng(seed)
    clean = np.concatenate([rng.permutation(everything[tasks == t])[: cfg["clean_per_task"]] for t in np.unique(tasks)])
    return [("und_gen", und_gen, 0.4, 1.0), ("all", everything, 0.45, 1.0), ("clean", clean, 0.15, 0.2)]


def train_transformers(cfg, state, records, arrays, table, vocab_size, device):
    models = {}
    for v in VARIANTS:
        torch.manual_seed(cfg["seed"] + 2)  # same initial weights for both variants
        models[v] = make_transformer(cfg, vocab_size).to(device)
    if state.done("transformer"):
        # a slim copy of a finished run (e.g. carried to the GPU for stage 2b) may leave out the teacher-forced
        # ablation, which nothing after this stage trains
        return {v: load_weights(m, state.ckpt(f"transformer_{v}.npz")).to(device).eval() for v, m in models.items()
                if v == "prefill" or os.path.exists(state.ckpt(f"transformer_{v}.npz"))}
    info = {}
    for name, pool, share, lr_scale in sub_stage_pools(records, cfg, cfg["seed"]):
        key = f"transformer.{name}"
        if state.done(key):
            for v, m in models.items():
                load_weights(m, state.ckpt(f"transformer_{v}.{name}.npz"))
            continue
        opts = [torch.optim.AdamW(models[v].parameters(), lr=cfg["ar_lr"], weight_decay=0.01) for v in VARIANTS]
        lr = cfg["ar_lr"] * lr_scale
        loop = StageLoop(key, state, int(cfg["ar_steps"] * share), cfg["ar_seconds"] * share,
                         [models[v] for v in VARIANTS], opts, lr, warmup=50 if lr_scale == 1.0 else 1, save_every=cfg["save_every"], log_every=cfg["log_every"])
        gen = torch.Generator().manual_seed(cfg["seed"] + 3 + len(info))
        pool_t = torch.from_numpy(pool)
        for _ in loop:
            idx = pool_t[torch.randint(0, len(pool), (cfg["ar_batch"],), generator=gen)].to(device)
            batch = take(arrays, idx)
            logs = {}
            for v, opt in zip(VARIANTS, opts):
                loss, ce, mse, cos = ar_losses(models[v], batch, table, v == "teacher", device)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(models[v].parameters(), 1.0)
                opt.step()
                logs.update({f"{v}_ce": ce.detach(), f"{v}_mse": mse.detach(), f"{v}_cos": cos.detach()})  # read only when logged: no sync per step
            loop.log(**logs)
        info[name] = loop.close()
        for v, m in models.items():
            save_weights(m, state.ckpt(f"transformer_{v}.{name}.npz"))
        state.finish(key, info[name])
    for v, m in models.items():
        save_weights(m, state.ckpt(f"transformer_{v}.npz"))
    state.finish("transformer", info)
    return {v: m.eval() for v, m in models.items()}


@torch.no_grad()
def predict_prefilled(model, arrays, idx, table, device, batch=256):
    """One pass over each whole record with prefill rows in the output slots -> predicted embeddings [n,N,D] at
    the final reply's output span (hidden state at <boi> .. slot N-2). Records without one give zeros."""
    n_tok = 16
    outs = []
    for i in range(0, len(idx), batch):
        b = take(arrays, idx[i:i + batch])
        attn, pos = masks(b)
        x = assemble(model, b, table, False)
        _, pred, _ = model(x, attn, pos, model.empty_past(x.shape[0], device))
        start = b["out_start"].clamp(min=1)
        gather = (start[:, None] - 1 + torch.arange(n_tok, device=device)[None]).clamp(max=pred.shape[1] - 1)
        outs.append(torch.gather(pred.float(), 1, gather[..., None].expand(-1, -1, pred.shape[-1])))
    return torch.cat(outs)


def edit_token_weights(records, table, alpha, n_tok=16):
    """One weight per row of the flat image-token table: 1, except the tokens of edit targets, which get
    1 + alpha * d_k / mean(d), d_k = distance between target token k and the source's token k. The tokens
    that the instruction changes weigh most, the untouched ones stay near 1. None (unweighted) for alpha <= 0."""
    eidx = edit_records(records)
    if alpha <= 0 or len(eidx) == 0:
        return None
    w = torch.ones(table.shape[0], device=table.device)
    k = torch.arange(n_tok, device=table.device)
    src = image_of(records, eidx, 0, table.device)[:, None] * n_tok + k
    tgt = image_of(records, eidx, -1, table.device)[:, None] * n_tok + k
    d = (table[tgt].float() - table[src].float()).norm(dim=-1)
    w[tgt.reshape(-1)] = (1 + alpha * d / d.mean(dim=1, keepdim=True).clamp(min=1e-6)).reshape(-1)
    return w


def continue_prefill_on_edits(cfg, state, records, arrays, table, model, device):
    """Optional stage 2b (cfg ar_cont_seconds > 0): more steps for the prefilled transformer alone, at
    ar_cont_lr_scale x ar_lr, on batches that are half edit records and half the rest (so understanding and
    generation are not forgotten). The edit targets are what limits editing (models/training/README.md). The
    teacher-forced ablation is left as trained. ar_cont_diff_weight = alpha > 0 weights the embedding loss of
    edit targets by how much each token differs from the source's (edit_token_weights). Overwrites
    transformer_prefill.npz. ar_cont_chain_repeat = k > 0 adds the multi-turn conversations that end in an edit
    to the edit half, k times over (they are ~4 % of the data)."""
    seconds = float(cfg.get("ar_cont_seconds", 0))
    if seconds <= 0 or state.done("transformer.edit_cont"):
        return model
    tasks = np.array([r["task"] for r in records])
    edits = np.where(tasks == "editing")[0]
    rest = np.where(tasks != "editing")[0]
    repeat = int(cfg.get("ar_cont_chain_repeat", 0))
    if repeat > 0:  # conversations whose last reply edits an earlier picture (generate -> edit, edit -> edit), repeated
        chains = np.array([i for i, r in enumerate(records) if r["task"] == "multiturn" and r.get("target_scene") is not None
                           and len(r["image_ids"]) >= 2], np.int64)
        edits = np.concatenate([edits] + [chains] * repeat)
        rest = np.setdiff1d(rest, chains)
    lr = cfg["ar_lr"] * float(cfg.get("ar_cont_lr_scale", 0.3))
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    loop = StageLoop("transformer.edit_cont", state, 10 ** 9, seconds, [model], [opt], lr, warmup=20,
                     save_every=cfg["save_every"], log_every=cfg["log_every"])
    gen = torch.Generator().manual_seed(cfg["seed"] + 20)
    half = cfg["ar_batch"] // 2
    edits_t, rest_t = torch.from_numpy(edits), torch.from_numpy(rest)
    weights = edit_token_weights(records, table, float(cfg.get("ar_cont_diff_weight", 0)))
    for _ in loop:
        idx = torch.cat([edits_t[torch.randint(0, len(edits), (half,), generator=gen)],
                         rest_t[torch.randint(0, len(rest), (cfg["ar_batch"] - half,), generator=gen)]]).to(device)
        loss, ce, mse, cos = ar_losses(model, take(arrays, idx), table, False, device, weights)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loop.log(ce=ce.detach(), mse=mse.detach(), cos=cos.detach())
    info = loop.close()
    save_weights(model, state.ckpt("transformer_prefill.npz"))
    state.finish("transformer.edit_cont", info)
    return model.eval()
