"""The decoder half of FLUX's autoencoder (16-channel latent, 8x upsampling), parameter names as in FLUX.1-dev's
ae.safetensors (`decoder.`). Follows black-forest-labs/flux src/flux/modules/autoencoder.py (Decoder,
ResnetBlock, AttnBlock, Upsample, AutoEncoder.decode: z / scale_factor + shift_factor).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def group_norm(ch):
    return nn.GroupNorm(32, ch, eps=1e-6, affine=True)


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1, self.conv1 = group_norm(cin), nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2, self.conv2 = group_norm(cout), nn.Conv2d(cout, cout, 3, 1, 1)
        self.nin_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.nin_shortcut is None else self.nin_shortcut(x)) + h


class AttnBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.norm = group_norm(ch)
        self.q, self.k, self.v = nn.Conv2d(ch, ch, 1), nn.Conv2d(ch, ch, 1), nn.Conv2d(ch, ch, 1)
        self.proj_out = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        n = self.norm(x)
        q = self.q(n).reshape(b, c, h * w).transpose(1, 2)
        k = self.k(n).reshape(b, c, h * w)
        v = self.v(n).reshape(b, c, h * w).transpose(1, 2)
        a = F.softmax(torch.matmul(q, k) / math.sqrt(c), dim=-1)
        o = torch.matmul(a, v).transpose(1, 2).reshape(b, c, h, w)
        return x + self.proj_out(o)


class Upsample(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Mid(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.block_1, self.attn_1, self.block_2 = ResnetBlock(ch, ch), AttnBlock(ch), ResnetBlock(ch, ch)


class Up(nn.Module):
    def __init__(self, blocks, upsample):
        super().__init__()
        self.block = nn.ModuleList(blocks)
        if upsample is not None:
            self.upsample = upsample


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        mult = c["ch_mult"]
        ch_in = c["ch"] * mult[-1]
        self.conv_in = nn.Conv2d(c["z_channels"], ch_in, 3, 1, 1)
        self.mid = Mid(ch_in)
        ups = []
        for level in reversed(range(len(mult))):
            out = c["ch"] * mult[level]
            blocks = []
            for _ in range(c["num_res_blocks"] + 1):
                blocks.append(ResnetBlock(ch_in, out))
                ch_in = out
            ups.insert(0, Up(blocks, Upsample(ch_in) if level != 0 else None))
        self.up = nn.ModuleList(ups)
        self.norm_out = group_norm(ch_in)
        self.conv_out = nn.Conv2d(ch_in, c["out_ch"], 3, 1, 1)

    def forward(self, z):
        h = self.conv_in(z)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        for level in reversed(range(len(self.up))):
            for block in self.up[level].block:
                h = block(h)
            if hasattr(self.up[level], "upsample"):
                h = self.up[level].upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class VaeDecoder(nn.Module):
    """latent [B, 16, h, w] (the DiT's sample space) -> pixels [B, 3, 8h, 8w] in [-1, 1] (not clamped)."""

    def __init__(self, c):
        super().__init__()
        self.scale, self.shift = c["scale_factor"], c["shift_factor"]
        self.decoder = Decoder(c)

    def forward(self, latent):
        return self.decoder(latent / self.scale + self.shift)
