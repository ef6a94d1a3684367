"""Building blocks shared by every stage. Written with plain ops so the same code runs on Debian's torch 1.13
(CPU, ONNX export) and on the GPU machine's torch 2.x (training, fused attention when available)."""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

# Export traces the plain path: fused attention is neither in torch 1.13 nor cleanly exportable at opset 17.
USE_FUSED_ATTENTION = hasattr(F, "scaled_dot_product_attention")


def set_fused_attention(enabled):
    global USE_FUSED_ATTENTION
    USE_FUSED_ATTENTION = enabled and hasattr(F, "scaled_dot_product_attention")


def attention(q, k, v, bias=None):
    """q [B,H,Tq,hd], k/v [B,H,Tk,hd], bias additive [B,1|H,Tq,Tk] or None."""
    if bias is not None and bias.dtype != q.dtype:
        bias = bias.to(q.dtype)  # autocast: q is bf16 while the mask was built in fp32
    if USE_FUSED_ATTENTION:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
    scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
    if bias is not None:
        scores = scores + bias
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def split_heads(x, heads):
    b, t, c = x.shape
    return x.reshape(b, t, heads, c // heads).transpose(1, 2)


def merge_heads(x):
    b, h, t, hd = x.shape
    return x.transpose(1, 2).reshape(b, t, h * hd)


class SelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, bias=None):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        out = attention(split_heads(q, self.heads), split_heads(k, self.heads), split_heads(v, self.heads), bias)
        return self.proj(merge_heads(out))


class CrossAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, context):
        k, v = self.kv(context).chunk(2, dim=-1)
        out = attention(split_heads(self.q(x), self.heads), split_heads(k, self.heads), split_heads(v, self.heads))
        return self.proj(merge_heads(out))


def mlp(dim, ratio=4):
    return nn.Sequential(nn.Linear(dim, dim * ratio), nn.GELU(), nn.Linear(dim * ratio, dim))


class EncoderBlock(nn.Module):
    """Pre-norm bidirectional transformer block."""

    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = SelfAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = mlp(dim)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def timestep_features(t, dim=128):
    """Sinusoidal features of t in [0,1] (scaled to 0..1000 as diffusion models do)."""
    half = dim // 2
    freqs = torch.exp(torch.arange(half, dtype=torch.float32, device=t.device) * (-math.log(10000.0) / half))
    args = (t.float() * 1000.0)[:, None] * freqs[None, :]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
