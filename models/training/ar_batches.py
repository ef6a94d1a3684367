"""Records -> padded arrays for the autoregressive transformer, and batch assembly into inputs_embeds.

Per position p of a record: `ids` (token ids as in the dataset), `in_src` (flat index img*N+k of the encoder
feature that replaces an <|image_pad|>), `tf_src` (the ground-truth feature teacher forcing puts into output slot
k), `labels` (next-token id when p+1 is a loss position of the final reply and not an output slot, else -100) and
`img_tgt` (flat index of the embedding the hidden state at p must predict: <boi> -> 0, slot k -> k+1).
"""
import numpy as np
import torch


def build_arrays(records, n_tokens, pad_id):
    lengths = np.array([len(r["input_ids"]) for r in records], np.int64)
    L = int(lengths.max())
    R = len(records)
    ids = np.full((R, L), pad_id, np.int64)
    in_src = np.full((R, L), -1, np.int64)
    tf_src = np.full((R, L), -1, np.int64)
    labels = np.full((R, L), -100, np.int64)
    img_tgt = np.full((R, L), -1, np.int64)
    out_start = np.full(R, -1, np.int64)
    for i, r in enumerate(records):
        seq = r["input_ids"]
        n = len(seq)
        ids[i, :n] = seq
        slot = np.zeros(n, bool)
        for sp in r["image_spans"]:
            g = r["image_ids"][sp["image"]]
            s = sp["start"]
            flat = g * n_tokens + np.arange(sp["length"])
            if sp["kind"] == "input":
                in_src[i, s:s + sp["length"]] = flat
            else:
                slot[s:s + sp["length"]] = True
                if s >= r["loss_start"]:
                    tf_src[i, s:s + sp["length"]] = flat
                    img_tgt[i, s - 1:s - 1 + sp["length"]] = flat
                    out_start[i] = s
        nxt = np.arange(1, n)
        keep = (nxt >= r["loss_start"]) & ~slot[1:]
        labels[i, :n - 1][keep] = np.asarray(seq[1:])[keep]
    return {"ids": ids, "in_src": in_src, "tf_src": tf_src, "labels": labels, "img_tgt": img_tgt,
            "lengths": lengths, "out_start": out_start}


def to_device(arrays, device):
    return {k: torch.from_numpy(v).to(device) for k, v in arrays.items()}


def take(arrays, idx):
    """Rows idx, trimmed to the longest of them."""
    L = int(arrays["lengths"][idx].max())
    return {k: (v[idx, :L] if v.dim() == 2 else v[idx]) for k, v in arrays.items()}


def assemble(model, batch, table, teacher_forcing):
    """inputs_embeds: token embeddings, encoder features at input spans, and at output slots either the prefill
    rows (already the slots' token ids) or, for teacher forcing, the ground-truth features."""
    x = model.embed(batch["ids"])
    src = batch["in_src"]
    if teacher_forcing:
        src = torch.where(batch["tf_src"] >= 0, batch["tf_src"], src)
    feats = table[src.clamp(min=0)]
    return torch.where((src >= 0)[..., None], feats, x)


def masks(batch):
    L = batch["ids"].shape[1]
    pos = torch.arange(L, device=batch["ids"].device)[None].expand(batch["ids"].shape[0], -1)
    attn = (pos < batch["lengths"][:, None]).long()
    return attn, pos
