"""Nexus-Gen's autoregressive model: the Qwen2.5-VL language model (Qwen2 decoder: GQA with q/k/v biases,
RMSNorm, SwiGLU, multimodal rotary positions over 3 axes) plus Nexus-Gen's `vision_head` and
`image_prefill_embeds`, with an explicit key/value cache so it exports to ONNX.

Follows huggingface/transformers src/transformers/models/qwen2_5_vl/modeling_qwen2_5_vl.py
(Qwen2_5_VLAttention, Qwen2MLP, Qwen2RMSNorm, Qwen2_5_VLRotaryEmbedding, apply_multimodal_rotary_pos_emb,
Qwen2_5_VLDecoderLayer) and modelscope/Nexus-Gen modeling/ar/modeling_qwen2_5_vl.py
(Qwen2_5_VLForConditionalGeneration: lm_head and vision_head on every hidden state, image_prefill_embeds =
Embedding(81, hidden)). Module paths equal the published parameter names (model.layers.N.self_attn.q_proj, ...).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

MASK_VALUE = -1e9


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x32.to(x.dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class MRope(nn.Module):
    """cos/sin [B, T, head_dim] from position_ids [3, B, T]: frequency f uses axis 0 (time), 1 (height) or 2
    (width) by mrope_section, the same split on both halves (the transformers code's `mrope_section * 2`)."""

    def __init__(self, head_dim, theta, section):
        super().__init__()
        inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        self.register_buffer("inv_freq", inv, persistent=False)
        axis = torch.zeros(3, head_dim // 2)
        start = 0
        for a, n in enumerate(section):
            axis[a, start:start + n] = 1.0
            start += n
        assert start == head_dim // 2, "mrope_section must sum to head_dim / 2"
        self.register_buffer("axis", axis, persistent=False)

    def forward(self, position_ids):
        freqs = position_ids.float()[..., None] * self.inv_freq  # [3, B, T, hd/2]
        freqs = (freqs * self.axis[:, None, None, :]).sum(0)     # one-hot pick: exact
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos(), emb.sin()


class Attention(nn.Module):
    def __init__(self, t):
        super().__init__()
        d, self.heads, self.kv_heads = t["hidden_size"], t["num_attention_heads"], t["num_key_value_heads"]
        self.head_dim = d // self.heads
        self.q_proj = nn.Linear(d, self.heads * self.head_dim, bias=True)
        self.k_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=True)
        self.v_proj = nn.Linear(d, self.kv_heads * self.head_dim, bias=True)
        self.o_proj = nn.Linear(self.heads * self.head_dim, d, bias=False)

    def forward(self, x, cos, sin, bias, past_k, past_v):
        b, t, _ = x.shape
        q = self.q_proj(x).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        c, s = cos[:, None], sin[:, None]
        q = q * c + rotate_half(q) * s
        k = k * c + rotate_half(k) * s
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        rep = self.heads // self.kv_heads
        kk = k[:, :, None].expand(b, self.kv_heads, rep, k.shape[2], self.head_dim).reshape(b, self.heads, k.shape[2], self.head_dim)
        vv = v[:, :, None].expand(b, self.kv_heads, rep, v.shape[2], self.head_dim).reshape(b, self.heads, v.shape[2], self.head_dim)
        w = torch.matmul(q, kk.transpose(2, 3)) / (self.head_dim ** 0.5) + bias
        w = F.softmax(w.float(), dim=-1).to(q.dtype)
        o = torch.matmul(w, vv).transpose(1, 2).reshape(b, t, -1)
        return self.o_proj(o), k, v


class MLP(nn.Module):
    def __init__(self, d, inner, bias=False):
        super().__init__()
        self.gate_proj = nn.Linear(d, inner, bias=bias)
        self.up_proj = nn.Linear(d, inner, bias=bias)
        self.down_proj = nn.Linear(inner, d, bias=bias)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.self_attn = Attention(t)
        self.mlp = MLP(t["hidden_size"], t["intermediate_size"])
        self.input_layernorm = RMSNorm(t["hidden_size"], t["rms_norm_eps"])
        self.post_attention_layernorm = RMSNorm(t["hidden_size"], t["rms_norm_eps"])

    def forward(self, x, cos, sin, bias, past_k, past_v):
        a, k, v = self.self_attn(self.input_layernorm(x), cos, sin, bias, past_k, past_v)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class LanguageModel(nn.Module):
    def __init__(self, t):
        super().__init__()
        self.embed_tokens = nn.Embedding(t["vocab_size"], t["hidden_size"])
        self.layers = nn.ModuleList([DecoderLayer(t) for _ in range(t["num_hidden_layers"])])
        self.norm = RMSNorm(t["hidden_size"], t["rms_norm_eps"])


def attention_bias(attention_mask, t):
    """Additive mask [B, 1, T, P+T]: causal inside the new tokens, full over the past, 0s in the mask excluded."""
    total = attention_mask.shape[1]
    past = total - t
    q = torch.arange(t)[:, None] + past
    kpos = torch.arange(total)[None, :]
    allowed = (kpos <= q)[None] & (attention_mask[:, None, :] > 0)
    return torch.where(allowed, torch.zeros(()), torch.full((), MASK_VALUE))[:, None]


class NexusGenAR(nn.Module):
    """The text half of Qwen2_5_VLForConditionalGeneration as Nexus-Gen extends it; `visual` is set by the
    caller (qwen_vit.VisionTransformer) so one state dict holds both, as the published checkpoint does."""

    def __init__(self, cfg, with_visual=True):
        super().__init__()
        t = cfg["text"]
        self.cfg = t
        self.model = LanguageModel(t)
        self.lm_head = nn.Linear(t["hidden_size"], t["vocab_size"], bias=False)
        self.vision_head = nn.Linear(t["hidden_size"], t["hidden_size"], bias=False)
        self.image_prefill_embeds = nn.Embedding(cfg["prefill_tokens"], t["hidden_size"])
        self.rope = MRope(t["hidden_size"] // t["num_attention_heads"], t["rope_theta"], t["mrope_section"])
        if with_visual:
            from qwen_vit import VisionTransformer
            self.visual = VisionTransformer(cfg["vision"])

    @property
    def num_layers(self):
        return len(self.model.layers)

    def forward(self, inputs_embeds, attention_mask, position_ids, past):
        cos, sin = self.rope(position_ids)
        bias = attention_bias(attention_mask, inputs_embeds.shape[1])
        x = inputs_embeds
        present = []
        for layer, (pk, pv) in zip(self.model.layers, past):
            x, k, v = layer(x, cos, sin, bias, pk, pv)
            present.append((k, v))
        h = self.model.norm(x)
        return self.lm_head(h), self.vision_head(h), present

    def empty_past(self, batch):
        t = self.cfg
        hd = t["hidden_size"] // t["num_attention_heads"]
        return [(torch.zeros(batch, t["num_key_value_heads"], 0, hd), torch.zeros(batch, t["num_key_value_heads"], 0, hd))
                for _ in range(self.num_layers)]
