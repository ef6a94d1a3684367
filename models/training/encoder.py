"""Vision encoder: 64x64 RGB -> 8x8 conv patch grid -> 2x2 merge -> 4x4 = 16 tokens x D.

It defines the shared embedding space, so it is pretrained briefly (reconstruction + per-cell attribute heads
read from the record's scene) and then frozen; only `VisionEncoder` is exported, the heads are training aids.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from layers import CrossAttention, EncoderBlock


class VisionEncoder(nn.Module):
    def __init__(self, dim, width=48, layers=2, heads=4):
        super().__init__()
        c1, c2 = width, width * 2
        self.convs = nn.ModuleList([
            nn.Conv2d(3, c1, 3, 1, 1), nn.Conv2d(c1, c1, 3, 2, 1),   # 32x32
            nn.Conv2d(c1, c2, 3, 2, 1), nn.Conv2d(c2, c2, 3, 1, 1),   # 16x16
            nn.Conv2d(c2, dim, 3, 2, 1),                              # 8x8
        ])
        self.merge = nn.Sequential(nn.Linear(4 * dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.pos = nn.Parameter(torch.zeros(1, 16, dim))
        self.blocks = nn.ModuleList([EncoderBlock(dim, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(dim)

    def forward(self, pixel_values):
        x = pixel_values
        for conv in self.convs:
            x = F.gelu(conv(x))
        b, c = x.shape[0], x.shape[1]
        # 2x2 spatial merge: [B,C,8,8] -> [B,4,4,4C] in row-major token order.
        x = x.reshape(b, c, 4, 2, 4, 2).permute(0, 2, 4, 3, 5, 1).reshape(b, 16, 4 * c)
        x = self.merge(x) + self.pos
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)


class EncoderPretrainHeads(nn.Module):
    """Pixel reconstruction from the tokens plus colour/shape/size classifiers for each of the 9 grid cells."""

    def __init__(self, dim, n_colour, n_shape, n_size, heads=4, width=48):
        super().__init__()
        c = [2 * width, 4 * width // 3, width, 2 * width // 3]
        self.up = nn.Sequential(
            nn.ConvTranspose2d(dim, c[0], 4, 2, 1), nn.GELU(),    # 8
            nn.ConvTranspose2d(c[0], c[1], 4, 2, 1), nn.GELU(),   # 16
            nn.ConvTranspose2d(c[1], c[2], 4, 2, 1), nn.GELU(),   # 32
            nn.ConvTranspose2d(c[2], c[3], 4, 2, 1), nn.GELU(),   # 64
            nn.Conv2d(c[3], 3, 3, 1, 1),
        )
        self.cells = nn.Parameter(torch.randn(1, 9, dim) * 0.02)
        self.pool = CrossAttention(dim, heads)
        self.colour = nn.Linear(dim, n_colour + 1)   # +1: empty cell
        self.shape = nn.Linear(dim, n_shape + 1)
        self.size = nn.Linear(dim, n_size + 1)

    def forward(self, tokens, reconstruct=True):
        b, n, d = tokens.shape
        recon = self.up(tokens.transpose(1, 2).reshape(b, d, 4, 4)) if reconstruct else None
        cells = self.pool(self.cells.expand(b, -1, -1), tokens)
        return recon, self.colour(cells), self.shape(cells), self.size(cells)
