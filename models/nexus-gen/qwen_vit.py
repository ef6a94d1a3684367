"""Qwen2.5-VL's vision transformer (Nexus-Gen's frozen encoder, which defines the shared embedding space):
14-px patches over 2 frames (Conv3d as one linear map), 2-D rotary positions, windowed attention (112 px
windows) on every layer except `fullatt_block_indexes`, RMSNorm + SwiGLU blocks, and the 2x2 patch merger.

Follows huggingface/transformers src/transformers/models/qwen2_5_vl/modeling_qwen2_5_vl.py
(Qwen2_5_VisionPatchEmbed, Qwen2_5_VisionRotaryEmbedding, Qwen2_5_VLVisionBlock, Qwen2_5_VLPatchMerger,
Qwen2_5_VisionTransformerPretrainedModel.rot_pos_emb / get_window_index / forward) and
image_processing_qwen2_vl.py (smart_resize, normalisation, patch order). Parameter names are the published
ones under `visual.`.

The data-dependent parts (patch order, rotary coordinates, window order, segment ids) are computed outside the
graph by `vision_inputs` here and by the TS runtime (workers/model/nexus-gen/qwen-vision.ts), so the ONNX graph
is static: pixel_values [L, 3*2*14*14], patch_positions [L, 2] (row, col), window_index [L/4],
window_segments [L] and image_segments [L] (segment id per patch in window order; attention stays inside a
segment), reverse_index [L/4] -> image_embeds [L/4, out_hidden_size].
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from qwen2_decoder import MLP, RMSNorm, rotate_half

MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
MASK_VALUE = -1e9


class PatchEmbed(nn.Module):
    def __init__(self, v):
        super().__init__()
        p, tp = v["patch_size"], v["temporal_patch_size"]
        self.proj = nn.Conv3d(v["in_chans"], v["hidden_size"], kernel_size=(tp, p, p), stride=(tp, p, p), bias=False)

    def forward(self, x):
        # A Conv3d whose kernel equals its input is one matrix product over the flattened patch.
        w = self.proj.weight.reshape(self.proj.weight.shape[0], -1)
        return torch.matmul(x, w.t())


class VisionAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim, bias=True)

    def forward(self, x, cos, sin, bias):
        n, d = x.shape
        hd = d // self.heads
        q, k, v = self.qkv(x).reshape(n, 3, self.heads, hd).permute(1, 2, 0, 3)  # each [H, L, hd]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        w = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(hd) + bias
        w = F.softmax(w.float(), dim=-1).to(q.dtype)
        o = torch.matmul(w, v).transpose(0, 1).reshape(n, d)
        return self.proj(o)


class VisionBlock(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.norm1 = RMSNorm(v["hidden_size"], 1e-6)
        self.norm2 = RMSNorm(v["hidden_size"], 1e-6)
        self.attn = VisionAttention(v["hidden_size"], v["num_heads"])
        self.mlp = MLP(v["hidden_size"], v["intermediate_size"], bias=True)

    def forward(self, x, cos, sin, bias):
        x = x + self.attn(self.norm1(x), cos, sin, bias)
        return x + self.mlp(self.norm2(x))


class PatchMerger(nn.Module):
    def __init__(self, v):
        super().__init__()
        inner = v["hidden_size"] * v["spatial_merge_size"] ** 2
        self.inner = inner
        self.ln_q = RMSNorm(v["hidden_size"], 1e-6)
        self.mlp = nn.Sequential(nn.Linear(inner, inner), nn.GELU(), nn.Linear(inner, v["out_hidden_size"]))

    def forward(self, x):
        return self.mlp(self.ln_q(x).reshape(-1, self.inner))


class VisionTransformer(nn.Module):
    def __init__(self, v):
        super().__init__()
        self.v = v
        self.patch_embed = PatchEmbed(v)
        self.blocks = nn.ModuleList([VisionBlock(v) for _ in range(v["depth"])])
        self.merger = PatchMerger(v)
        hd = v["hidden_size"] // v["num_heads"]
        dim = hd // 2
        self.register_buffer("inv_freq", 1.0 / (10000 ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim)), persistent=False)
        self.full = set(v["fullatt_block_indexes"])

    def forward(self, pixel_values, patch_positions, window_index, window_segments, image_segments, reverse_index):
        unit = self.v["spatial_merge_size"] ** 2
        x = self.patch_embed(pixel_values)
        n, d = x.shape
        x = x.reshape(n // unit, unit, d)[window_index].reshape(n, d)
        pos = patch_positions.reshape(n // unit, unit, 2)[window_index].reshape(n, 2).float()
        freqs = torch.cat([pos[:, 0:1] * self.inv_freq, pos[:, 1:2] * self.inv_freq], dim=-1)  # [L, hd/2]
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos(), emb.sin()
        zero, neg = torch.zeros(()), torch.full((), MASK_VALUE)
        window_bias = torch.where(window_segments[:, None] == window_segments[None, :], zero, neg)
        full_bias = torch.where(image_segments[:, None] == image_segments[None, :], zero, neg)
        for i, block in enumerate(self.blocks):
            x = block(x, cos, sin, full_bias if i in self.full else window_bias)
        return self.merger(x)[reverse_index]


def smart_resize(h, w, factor=28, min_pixels=56 * 56, max_pixels=28 * 28 * 1280):
    """Qwen2-VL's size rule: both sides multiples of `factor`, area within [min_pixels, max_pixels]."""
    hb = max(factor, round(h / factor) * factor)
    wb = max(factor, round(w / factor) * factor)
    if hb * wb > max_pixels:
        beta = math.sqrt((h * w) / max_pixels)
        hb = math.floor(h / beta / factor) * factor
        wb = math.floor(w / beta / factor) * factor
    elif hb * wb < min_pixels:
        beta = math.sqrt(min_pixels / (h * w))
        hb = math.ceil(h * beta / factor) * factor
        wb = math.ceil(w * beta / factor) * factor
    return hb, wb


def patchify(rgb, v):
    """rgb uint8 [H, W, 3] with H, W multiples of 28 -> (patches [L, 3*2*14*14], grid (1, H/14, W/14)).
    Normalised with CLIP's mean/std; the single frame is repeated to fill the temporal patch; patches ordered by
    2x2 merge unit (row-major units, row-major inside a unit), as the Qwen2-VL image processor emits them."""
    p, tp, m = v["patch_size"], v["temporal_patch_size"], v["spatial_merge_size"]
    h, w, _ = rgb.shape
    x = (rgb.astype(np.float32) / 255.0 - np.array(MEAN, np.float32)) / np.array(STD, np.float32)
    x = np.transpose(x, (2, 0, 1))[None].repeat(tp, axis=0)                    # [T, C, H, W]
    gh, gw = h // p, w // p
    x = x.reshape(1, tp, 3, gh // m, m, p, gw // m, m, p)
    x = x.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)                                  # t, hu, wu, hm, wm, C, T, p, p
    return x.reshape(gh * gw, 3 * tp * p * p), (1, gh, gw)


def vision_inputs(grids, v):
    """Patch positions, window order and segment ids for images with grids [(t, gh, gw), ...] (patch units)."""
    m = v["spatial_merge_size"]
    unit = m * m
    ws = v["window_size"] // m // v["patch_size"]
    positions, window_index, window_seg, image_seg = [], [], [], []
    base, seg = 0, 0
    for img, (t, gh, gw) in enumerate(grids):
        hh = np.arange(gh)[:, None].repeat(gw, 1).reshape(gh // m, m, gw // m, m).transpose(0, 2, 1, 3).reshape(-1)
        ww = np.arange(gw)[None, :].repeat(gh, 0).reshape(gh // m, m, gw // m, m).transpose(0, 2, 1, 3).reshape(-1)
        positions.append(np.tile(np.stack([hh, ww], 1), (t, 1)))
        lh, lw = gh // m, gw // m
        idx = np.arange(t * lh * lw).reshape(t, lh, lw)
        ph, pw = ws - lh % ws, ws - lw % ws
        nh, nw = (lh + ph) // ws, (lw + pw) // ws
        padded = np.full((t, lh + ph, lw + pw), -100)
        padded[:, :lh, :lw] = idx
        padded = padded.reshape(t, nh, ws, nw, ws).transpose(0, 1, 3, 2, 4).reshape(t, nh * nw, ws * ws)
        for frame in padded:
            for win in frame:
                kept = win[win != -100]
                if len(kept) == 0:
                    continue
                window_index.extend((kept + base).tolist())
                window_seg.extend([seg] * (len(kept) * unit))
                seg += 1
        image_seg.extend([img] * (t * gh * gw))
        base += t * lh * lw
    wi = np.array(window_index, np.int64)
    return {"patch_positions": np.concatenate(positions).astype(np.int64), "window_index": wi,
            "window_segments": np.array(window_seg, np.int64), "image_segments": np.array(image_seg, np.int64),
            "reverse_index": np.argsort(wi).astype(np.int64)}
