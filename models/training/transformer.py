"""Decoder-only transformer (pre-norm, learned positions, causal) with an image head beside the LM head.

The forward signature is the bundle's transformer stage (models/BUNDLE.md): inputs_embeds, attention_mask over
past+new, position_ids and per-layer past key/values in; logits, image_embeds and present key/values out.
"""
import torch
import torch.nn as nn

from layers import attention, merge_heads, mlp, split_heads

NEG = -1e9  # finite, so a fully masked (left-padding) query row stays a number instead of NaN


class DecoderBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = mlp(dim)

    def forward(self, x, bias, past_k, past_v):
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)
        q, k, v = split_heads(q, self.heads), split_heads(k, self.heads), split_heads(v, self.heads)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        x = x + self.proj(merge_heads(attention(q, k, v, bias)))
        return x + self.mlp(self.norm2(x)), k, v


class ARTransformer(nn.Module):
    def __init__(self, vocab_size, dim, layers, heads, max_positions, embed_dim):
        super().__init__()
        self.dim, self.heads, self.num_layers = dim, heads, layers
        self.embed = nn.Embedding(vocab_size, dim)
        self.pos = nn.Embedding(max_positions, dim)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.blocks = nn.ModuleList([DecoderBlock(dim, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab_size, bias=False)
        self.image_head = nn.Linear(dim, embed_dim)

    def empty_past(self, batch, device):
        z = torch.zeros(batch, self.heads, 0, self.dim // self.heads, device=device)
        return [(z, z) for _ in range(self.num_layers)]

    def forward(self, inputs_embeds, attention_mask, position_ids, past):
        t = inputs_embeds.shape[1]
        p = past[0][0].shape[2]
        x = inputs_embeds + self.pos(position_ids)
        # Query i (absolute index p+i) sees key j when j <= p+i and key j is not padding.
        qi = torch.arange(t, device=x.device)[:, None] + p
        kj = torch.arange(p + t, device=x.device)[None, :]
        allowed = (kj <= qi)[None, None, :, :] & (attention_mask[:, None, None, :] > 0)
        bias = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device).masked_fill(~allowed, NEG)
        present = []
        for blk, (pk, pv) in zip(self.blocks, past):
            x, k, v = blk(x, bias, pk, pv)
            present.append((k, v))
        h = self.norm(x)
        return self.lm_head(h), self.image_head(h), present
