"""Inference paths over a KV cache, as the runtime runs them: the prompt up to and including <boi> in one
pass, then the image tokens either prefilled (one pass over the N prefill rows) or token by token (N passes,
each feeding back the previous prediction: teacher forcing's only option at inference)."""
import time

import torch

from ar_batches import assemble, take


def left_padded_prefix(model, batch, table):
    """Rows' prompts [0, out_start) moved to the right edge of a [B, Lp] window (left padding, as batches are)."""
    x = assemble(model, batch, table, False)
    s = batch["out_start"]
    lp = int(s.max())
    cols = torch.arange(lp, device=x.device)[None]
    src = cols - (lp - s[:, None])
    valid = src >= 0
    gathered = torch.gather(x, 1, src.clamp(min=0)[..., None].expand(-1, -1, x.shape[-1]))
    return gathered * valid[..., None], valid.long(), src.clamp(min=0)


@torch.no_grad()
def image_tokens(model, arrays, idx, table, mode, n_tokens=16, gt=None, sync=None):
    """-> (predicted embeddings [B,N,D], seconds spent on the image tokens after the prompt pass).
    mode: 'prefill' | 'own' (token by token, own predictions fed back) | 'gt' (token by token, ground truth
    fed back: teacher forcing's training condition, through the cache)."""
    batch = take(arrays, idx)
    x, attn, pos = left_padded_prefix(model, batch, table)
    _, pred, past = model(x, attn, pos, model.empty_past(x.shape[0], x.device))
    first = pred[:, -1]
    s = batch["out_start"]
    b = x.shape[0]
    if sync:
        sync()
    t0 = time.perf_counter()
    if mode == "prefill":
        ids = batch["ids"].new_zeros(b, n_tokens) + torch.arange(n_tokens, device=x.device)[None]
        slot_ids = torch.gather(batch["ids"], 1, s[:, None] + ids)
        xs = model.embed(slot_ids)
        attn2 = torch.cat([attn, attn.new_ones(b, n_tokens)], 1)
        _, p2, _ = model(xs, attn2, s[:, None] + ids, past)
        out = torch.cat([first[:, None], p2[:, :-1]], 1)
    else:
        preds = [first]
        for k in range(n_tokens - 1):
            feed = preds[-1] if mode == "own" else gt[:, k]
            attn = torch.cat([attn, attn.new_ones(b, 1)], 1)
            _, p, past = model(feed[:, None], attn, (s + k)[:, None], past)
            preds.append(p[:, 0])
        # the last slot's pass (its hidden state predicts <eoi>) is part of the image-token cost
        attn = torch.cat([attn, attn.new_ones(b, 1)], 1)
        model(preds[-1][:, None], attn, (s + n_tokens - 1)[:, None], past)
        out = torch.stack(preds, 1)
    if sync:
        sync()
    return out, time.perf_counter() - t0
