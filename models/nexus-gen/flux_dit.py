"""FLUX.1-dev's DiT as Nexus-Gen runs it, plus the generation decoder's adapter and the editing decoder's token
merger. Module paths equal the names in Nexus-Gen's published decoder checkpoints.

Follows modelscope/DiffSynth-Studio diffsynth/models/flux_dit.py (FluxDiT, RoPEEmbedding, AdaLayerNorm,
FluxJointAttention, FluxJointTransformerBlock, FluxSingleTransformerBlock, AdaLayerNormSingle,
AdaLayerNormContinuous) and diffsynth/models/sd3_dit.py (TimestepEmbeddings, RMSNorm): the parameter layout of
Nexus-Gen's generation_decoder.bin (`pipe.dit.` + these paths, `adapter.` = modelscope/Nexus-Gen
modeling/decoder/generation_decoder.py's Linear-LayerNorm-ReLU-Linear-LayerNorm) and edit_decoder.bin
(`pipe.dit.`, `embedding_merger.` = modeling/decoder/modules.py ImageEmbeddingMerger); the conditioning and
positions as modeling/decoder/pipelines.py passes them (image embeds in place of T5 tokens, text_ids zeros for
generation, 2-D ids rescaled onto the latent grid for editing, embedded guidance x1000, timestep = sigma x 1000).
The rotary tables are computed in float32 (DiffSynth: float64), the only deliberate difference.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

import qwen2_decoder as qd


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        y = x * torch.rsqrt(x.float().pow(2).mean(-1, keepdim=True) + self.eps)
        return y.to(x.dtype) * self.weight


class PlainLayerNorm(nn.Module):
    """LayerNorm without scale and bias, written out: torch 1.13 exports the affine-free nn.LayerNorm at opset 17
    as a LayerNormalization node with an empty scale input, which ONNX rejects."""

    def __init__(self, eps=1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, x):
        mean = x.mean(-1, keepdim=True)
        c = x - mean
        return c * torch.rsqrt(c.pow(2).mean(-1, keepdim=True) + self.eps)


def timestep_embedding(t, dim, max_period=10000.0):
    """Sinusoidal embedding, cos half first (flip_sin_to_cos=True, downscale_freq_shift=0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class TimestepEmbeddings(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.dim_in = dim_in
        self.timestep_embedder = nn.Sequential(nn.Linear(dim_in, dim_out), nn.SiLU(), nn.Linear(dim_out, dim_out))

    def forward(self, t):
        return self.timestep_embedder(timestep_embedding(t, self.dim_in))


def rope_table(ids, axes_dim, theta):
    """ids [B, L, 3] -> cos, sin [B, 1, L, head_dim/2] (pairs rotated as (x0, x1) -> (c x0 - s x1, s x0 + c x1))."""
    parts = []
    for i, d in enumerate(axes_dim):
        omega = 1.0 / (theta ** (torch.arange(0, d, 2, dtype=torch.float32) / d))
        parts.append(ids[..., i:i + 1].float() * omega)
    angles = torch.cat(parts, dim=-1)[:, None]
    return torch.cos(angles), torch.sin(angles)


def apply_rope(x, cos, sin):
    b, h, n, d = x.shape
    x = x.float().reshape(b, h, n, d // 2, 2)
    x0, x1 = x[..., 0], x[..., 1]
    return torch.stack([cos * x0 - sin * x1, sin * x0 + cos * x1], dim=-1).reshape(b, h, n, d)


def attention(q, k, v):
    w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    return torch.matmul(F.softmax(w, dim=-1), v)


def split_heads(x, heads):
    b, n, d3 = x.shape
    return x.view(b, n, 3 * heads, d3 // (3 * heads)).transpose(1, 2).chunk(3, dim=1)


class AdaLayerNorm(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.linear = nn.Linear(dim, dim * 6)
        self.norm = PlainLayerNorm(1e-6)

    def forward(self, x, emb):
        shift, scale, gate, shift2, scale2, gate2 = self.linear(F.silu(emb))[:, None].chunk(6, dim=2)
        return self.norm(x) * (1 + scale) + shift, gate, shift2, scale2, gate2


class JointAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        hd = dim // heads
        self.a_to_qkv = nn.Linear(dim, dim * 3)
        self.b_to_qkv = nn.Linear(dim, dim * 3)
        self.norm_q_a, self.norm_k_a = RMSNorm(hd), RMSNorm(hd)
        self.norm_q_b, self.norm_k_b = RMSNorm(hd), RMSNorm(hd)
        self.a_to_out = nn.Linear(dim, dim)
        self.b_to_out = nn.Linear(dim, dim)

    def forward(self, a, b, cos, sin):
        qa, ka, va = split_heads(self.a_to_qkv(a), self.heads)
        qb, kb, vb = split_heads(self.b_to_qkv(b), self.heads)
        q = torch.cat([self.norm_q_b(qb), self.norm_q_a(qa)], dim=2)
        k = torch.cat([self.norm_k_b(kb), self.norm_k_a(ka)], dim=2)
        v = torch.cat([vb, va], dim=2)
        o = attention(apply_rope(q, cos, sin), apply_rope(k, cos, sin), v)
        o = o.transpose(1, 2).reshape(a.shape[0], -1, q.shape[1] * q.shape[3])
        nb = b.shape[1]
        return self.a_to_out(o[:, nb:]), self.b_to_out(o[:, :nb])


def feed_forward(dim):
    return nn.Sequential(nn.Linear(dim, dim * 4), nn.GELU(approximate="tanh"), nn.Linear(dim * 4, dim))


class DoubleBlock(nn.Module):
    """FluxJointTransformerBlock: image stream a, condition stream b, joint attention."""

    def __init__(self, dim, heads):
        super().__init__()
        self.norm1_a, self.norm1_b = AdaLayerNorm(dim), AdaLayerNorm(dim)
        self.attn = JointAttention(dim, heads)
        self.norm2_a = PlainLayerNorm(1e-6)
        self.ff_a = feed_forward(dim)
        self.norm2_b = PlainLayerNorm(1e-6)
        self.ff_b = feed_forward(dim)

    def forward(self, a, b, temb, cos, sin):
        na, ga, sa, ca, ma = self.norm1_a(a, temb)
        nb, gb, sb, cb, mb = self.norm1_b(b, temb)
        oa, ob = self.attn(na, nb, cos, sin)
        a = a + ga * oa
        a = a + ma * self.ff_a(self.norm2_a(a) * (1 + ca) + sa)
        b = b + gb * ob
        b = b + mb * self.ff_b(self.norm2_b(b) * (1 + cb) + sb)
        return a, b


class AdaLayerNormSingle(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.linear = nn.Linear(dim, 3 * dim)
        self.norm = PlainLayerNorm(1e-6)

    def forward(self, x, emb):
        shift, scale, gate = self.linear(F.silu(emb)).chunk(3, dim=1)
        return self.norm(x) * (1 + scale[:, None]) + shift[:, None], gate


class SingleBlock(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.dim = heads, dim
        self.norm = AdaLayerNormSingle(dim)
        self.to_qkv_mlp = nn.Linear(dim, dim * 7)
        self.norm_q_a, self.norm_k_a = RMSNorm(dim // heads), RMSNorm(dim // heads)
        self.proj_out = nn.Linear(dim * 5, dim)

    def forward(self, x, temb, cos, sin):
        h, gate = self.norm(x, temb)
        h = self.to_qkv_mlp(h)
        q, k, v = split_heads(h[:, :, :self.dim * 3], self.heads)
        o = attention(apply_rope(self.norm_q_a(q), cos, sin), apply_rope(self.norm_k_a(k), cos, sin), v)
        o = o.transpose(1, 2).reshape(x.shape[0], -1, self.dim)
        mlp = F.gelu(h[:, :, self.dim * 3:], approximate="tanh")
        return x + gate[:, None] * self.proj_out(torch.cat([o, mlp], dim=2))


class AdaLayerNormContinuous(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.linear = nn.Linear(dim, dim * 2)
        self.norm = PlainLayerNorm(1e-6)

    def forward(self, x, cond):
        scale, shift = self.linear(F.silu(cond)).chunk(2, dim=1)
        return self.norm(x) * (1 + scale)[:, None] + shift[:, None]


class FluxDiT(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        dim = c["dim"]
        self.time_embedder = TimestepEmbeddings(c["timestep_dim"], dim)
        self.guidance_embedder = TimestepEmbeddings(c["timestep_dim"], dim)
        self.pooled_text_embedder = nn.Sequential(nn.Linear(c["pooled_dim"], dim), nn.SiLU(), nn.Linear(dim, dim))
        self.context_embedder = nn.Linear(c["context_dim"], dim)
        self.x_embedder = nn.Linear(c["in_channels"], dim)
        self.blocks = nn.ModuleList([DoubleBlock(dim, c["num_heads"]) for _ in range(c["double_blocks"])])
        self.single_blocks = nn.ModuleList([SingleBlock(dim, c["num_heads"]) for _ in range(c["single_blocks"])])
        self.final_norm_out = AdaLayerNormContinuous(dim)
        self.final_proj_out = nn.Linear(dim, c["in_channels"])

    @staticmethod
    def image_ids(batch, h, w):
        """[B, (h/2)(w/2), 3]: (0, row, col) of each 2x2 latent patch."""
        rows = torch.arange(h // 2, dtype=torch.float32)[:, None].expand(h // 2, w // 2)
        cols = torch.arange(w // 2, dtype=torch.float32)[None, :].expand(h // 2, w // 2)
        ids = torch.stack([torch.zeros_like(rows), rows, cols], dim=-1).reshape(1, -1, 3)
        return ids.expand(batch, -1, -1)

    def forward(self, latents, timestep, prompt_emb, pooled, guidance, text_ids):
        """latents [B, 16, h, w], timestep [B] (x1000 scale), prompt_emb [B, Lc, context_dim], pooled [B, pooled_dim],
        guidance [B] (embedded guidance, e.g. 3.5), text_ids [B, Lc, 3] -> velocity [B, 16, h, w]."""
        b, ch, h, w = latents.shape
        cond = self.time_embedder(timestep) + self.pooled_text_embedder(pooled) + self.guidance_embedder(guidance * 1000)
        x = latents.reshape(b, ch, h // 2, 2, w // 2, 2).permute(0, 2, 4, 1, 3, 5).reshape(b, (h // 2) * (w // 2), ch * 4)
        x = self.x_embedder(x)
        c = self.context_embedder(prompt_emb)
        cos, sin = rope_table(torch.cat([text_ids, self.image_ids(b, h, w)], dim=1), self.c["axes_dim"], self.c["theta"])
        for block in self.blocks:
            x, c = block(x, c, cond, cos, sin)
        nc = c.shape[1]
        x = torch.cat([c, x], dim=1)
        for block in self.single_blocks:
            x = block(x, cond, cos, sin)
        x = self.final_proj_out(self.final_norm_out(x[:, nc:], cond))
        return x.reshape(b, h // 2, w // 2, ch, 2, 2).permute(0, 3, 1, 4, 2, 5).reshape(b, ch, h, w)


def make_adapter(a):
    """generation_decoder.bin's `adapter.`: Linear(3584->4096), LayerNorm, ReLU, Linear(4096->4096), LayerNorm."""
    return nn.Sequential(nn.Linear(a["in_dim"], a["hidden"]), nn.LayerNorm(a["hidden"]), nn.ReLU(),
                         nn.Linear(a["hidden"], a["out_dim"]), nn.LayerNorm(a["out_dim"]))


class EmbeddingMerger(nn.Module):
    """edit_decoder.bin's `embedding_merger.`: Qwen2.5-VL decoder layer(s) without a causal mask over the 81 target
    tokens + the source tokens, M-RoPE positions with each grid rescaled onto base_grid, then a projector
    RMSNorm-Linear-RMSNorm-SiLU-Linear-RMSNorm to the DiT's context width."""

    def __init__(self, cfg):
        super().__init__()
        t, m = cfg["text"], cfg["merger"]
        self.m, self.merge = m, cfg["vision"]["spatial_merge_size"]
        self.layers = nn.ModuleList([qd.DecoderLayer(t) for _ in range(m["num_layers"])])
        wide = m["out_channel"] * m["expand_ratio"]
        eps = t["rms_norm_eps"]
        self.projector = nn.Sequential(qd.RMSNorm(t["hidden_size"], eps), nn.Linear(t["hidden_size"], wide),
                                       qd.RMSNorm(wide, eps), nn.SiLU(), nn.Linear(wide, m["out_channel"]),
                                       qd.RMSNorm(m["out_channel"], eps))
        self.rope = qd.MRope(t["hidden_size"] // t["num_attention_heads"], t["rope_theta"], t["mrope_section"])

    def grid_positions(self, grid, batch):
        _, gh, gw = grid
        h, w = gh // self.merge, gw // self.merge
        sh, sw = self.m["base_grid"][1] / gh, self.m["base_grid"][2] / gw
        rows = torch.arange(h, dtype=torch.float32)[:, None].expand(h, w).reshape(-1) * sh
        cols = torch.arange(w, dtype=torch.float32)[None, :].expand(h, w).reshape(-1) * sw
        pos = torch.stack([torch.zeros_like(rows), rows, cols])  # [3, L]
        return pos[:, None].expand(3, batch, -1)

    def forward(self, embeds, ref_embeds):
        b = embeds.shape[0]
        pos = torch.cat([self.grid_positions(self.m["target_grid"], b), self.grid_positions(self.m["ref_grid"], b)], dim=-1)
        x = torch.cat([embeds, ref_embeds], dim=1)
        cos, sin = self.rope(pos)
        bias = torch.zeros(1, 1, 1, 1)
        for layer in self.layers:
            empty = torch.zeros(b, layer.self_attn.kv_heads, 0, layer.self_attn.head_dim)
            x, _, _ = layer(x, cos, sin, bias, empty, empty)
        return self.projector(x)


def edit_text_ids(cfg, batch, latent_h, latent_w):
    """The editing pipeline's FLUX positions: target tokens (0, r*s, c*s) and source tokens (1, r*s', c*s') with
    s = latent side / grid side (modeling/decoder/pipelines.py, target_embed_size 18, ref_embed_size 36)."""
    out = []
    for axis0, (_, gh, gw) in ((0.0, cfg["merger"]["target_grid"]), (1.0, cfg["merger"]["ref_grid"])):
        rows = torch.arange(gh // 2, dtype=torch.float32)[:, None].expand(gh // 2, gw // 2) * (latent_h / gh)
        cols = torch.arange(gw // 2, dtype=torch.float32)[None, :].expand(gh // 2, gw // 2) * (latent_w / gw)
        out.append(torch.stack([torch.full_like(rows, axis0), rows, cols], dim=-1).reshape(-1, 3))
    return torch.cat(out)[None].expand(batch, -1, -1)
