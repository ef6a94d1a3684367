"""Rectified-flow decoders in pixel space: a small DiT whose 4x4-pixel patch tokens attend to condition tokens.

The condition tokens replace FLUX's text stream (cross-attention in every block); the timestep enters through
adaLN-single (one shared modulation MLP plus a learned per-block offset, PixArt-style) to keep the bundle small.
`drop_condition` swaps in a learned null condition for classifier-free guidance.

predict="x0": the network's head paints the clean image and the graph returns v = (x_t - x0_hat) / max(t, 1e-3), so
the runtime's Euler step x + (t_next - t) v becomes (t_next/t) x_t + (1 - t_next/t) x0_hat. This is only a
parameterisation: a 128-wide token cannot carry a 16x16x3 patch of noise through to a velocity output, the formula
carries x_t exactly. Trained with the flow-matching velocity loss (train_decoders.flow_loss) on conditions that leave
the background shade and the jitter open, x0_hat(x_t, t) is E[x0 | x_t, c], so different noises reach different
images; trained on conditions that fix the image (the image's own tokens) it ignores x_t and, served a caption's
prediction, returns the mean (bundles before 2.0.0).
"""
import torch
import torch.nn as nn

from layers import CrossAttention, EncoderBlock, SelfAttention, mlp, timestep_features


class DiTBlock(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.offset = nn.Parameter(torch.zeros(6, width))
        self.norm1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads)
        self.norm2 = nn.LayerNorm(width)
        self.cross = CrossAttention(width, heads)
        self.norm3 = nn.LayerNorm(width)
        self.mlp = mlp(width)

    def forward(self, x, mod, context):
        s1, b1, g1, s2, b2, g2 = (mod + self.offset[None]).unbind(1)
        x = x + g1[:, None] * self.attn(self.norm1(x) * (1 + s1[:, None]) + b1[:, None])
        x = x + self.cross(self.norm2(x), context)
        return x + g2[:, None] * self.mlp(self.norm3(x) * (1 + s2[:, None]) + b2[:, None])


class FlowDecoder(nn.Module):
    def __init__(self, cond_dim, width, depth, heads, patch=4, size=64, channels=3, cond_tokens=16, predict="velocity"):
        super().__init__()
        assert predict in ("velocity", "x0"), predict
        self.patch, self.size, self.channels, self.width, self.predict = patch, size, channels, width, predict
        grid = size // patch
        self.patch_in = nn.Linear(patch * patch * channels, width)
        self.pos = nn.Parameter(torch.randn(1, grid * grid, width) * 0.02)
        self.null = nn.Parameter(torch.randn(1, cond_tokens, cond_dim) * 0.02)
        self.cond_in = nn.Sequential(nn.Linear(cond_dim, width), nn.GELU(), nn.Linear(width, width))
        self.cond_pos = nn.Parameter(torch.randn(1, cond_tokens, width) * 0.02)
        self.t_mlp = nn.Sequential(nn.Linear(128, width), nn.SiLU(), nn.Linear(width, width))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 6 * width))
        self.blocks = nn.ModuleList([DiTBlock(width, heads) for _ in range(depth)])
        self.final_ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))
        self.final_norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, patch * patch * channels)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def patchify(self, x):
        b, c, h, w = x.shape
        p = self.patch
        return x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p * c)

    def unpatchify(self, x):
        b = x.shape[0]
        p, g, c = self.patch, self.size // self.patch, self.channels
        return x.reshape(b, g, g, p, p, c).permute(0, 5, 1, 3, 2, 4).reshape(b, c, g * p, g * p)

    def choose(self, condition, null, drop_condition):
        keep = (drop_condition < 0.5).to(condition.dtype)[:, None, None]
        return condition * keep + null.expand(condition.shape[0], -1, -1) * (1 - keep)

    def context(self, condition, drop_condition):
        return self.cond_in(self.choose(condition, self.null, drop_condition)) + self.cond_pos

    def run(self, sample, timestep, context):
        c = self.t_mlp(timestep_features(timestep))
        mod = self.ada(c).reshape(c.shape[0], 6, self.width)
        x = self.patch_in(self.patchify(sample)) + self.pos
        for blk in self.blocks:
            x = blk(x, mod, context)
        shift, scale = self.final_ada(c).chunk(2, dim=-1)
        x = self.final_norm(x) * (1 + scale[:, None]) + shift[:, None]
        return self.unpatchify(self.out(x))

    def to_velocity(self, sample, timestep, out):
        if self.predict == "velocity":
            return out
        return (sample - out) / timestep.clamp(min=1e-3)[:, None, None, None]

    def net(self, sample, timestep, condition, drop_condition):
        """The raw prediction (velocity or x0, per `predict`); training takes its loss on this."""
        return self.run(sample, timestep, self.context(condition, drop_condition))

    def forward(self, sample, timestep, condition, drop_condition):
        return self.to_velocity(sample, timestep, self.net(sample, timestep, condition, drop_condition))


class EditDecoder(FlowDecoder):
    """Predicted target tokens + source tokens, concatenated (32), with the same 2-D grid position added to both
    sets so token k of the target and token k of the source align, mixed by one bidirectional layer."""

    def __init__(self, cond_dim, width, depth, heads, merge_heads=4, **kw):
        super().__init__(cond_dim, width, depth, heads, **kw)
        self.null_source = nn.Parameter(torch.randn(1, self.null.shape[1], cond_dim) * 0.02)
        self.grid_pos = nn.Parameter(torch.randn(1, self.null.shape[1], cond_dim) * 0.02)
        self.kind = nn.Parameter(torch.randn(1, 2, 1, cond_dim) * 0.02)
        self.mixer = EncoderBlock(cond_dim, merge_heads)

    def forward(self, sample, timestep, condition, source, drop_condition):
        return self.to_velocity(sample, timestep, self.net(sample, timestep, condition, source, drop_condition))

    def net(self, sample, timestep, condition, source, drop_condition):
        tgt = self.choose(condition, self.null, drop_condition) + self.grid_pos + self.kind[:, 0]
        src = self.choose(source, self.null_source, drop_condition) + self.grid_pos + self.kind[:, 1]
        mixed = self.mixer(torch.cat([tgt, src], dim=1))
        context = self.cond_in(mixed) + torch.cat([self.cond_pos, self.cond_pos], dim=1)
        return self.run(sample, timestep, context)


class GridBlock(nn.Module):
    """Self-attention + MLP over the 16 grid tokens, both modulated by the timestep (adaLN-single)."""

    def __init__(self, width, heads):
        super().__init__()
        self.offset = nn.Parameter(torch.zeros(6, width))
        self.norm1 = nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads)
        self.norm2 = nn.LayerNorm(width)
        self.mlp = mlp(width)

    def forward(self, x, mod):
        s1, b1, g1, s2, b2, g2 = (mod + self.offset[None]).unbind(1)
        x = x + g1[:, None] * self.attn(self.norm1(x) * (1 + s1[:, None]) + b1[:, None])
        return x + g2[:, None] * self.mlp(self.norm2(x) * (1 + s2[:, None]) + b2[:, None])


class GridDecoder(FlowDecoder):
    """The CPU-sized decoder: one token per 16x16-pixel patch, so the 4x4 image grid lines up with the encoder's 4x4
    condition tokens and each condition token is added to its own patch token (no cross-attention needed); a few
    modulated blocks mix the 16 tokens and an MLP head paints each 16x16 patch. ~10x fewer FLOPs than the 4x4-patch
    DiT, which ran at 0.15 steps/s (batch 64) on the shared 2-core machine."""

    def __init__(self, cond_dim, width, depth, heads, patch=16, size=64, channels=3, cond_tokens=16, predict="x0", head_hidden=512):
        super().__init__(cond_dim, width, 0, heads, patch=patch, size=size, channels=channels, cond_tokens=cond_tokens, predict=predict)
        assert (size // patch) ** 2 == cond_tokens, "one patch token per condition token"
        self.blocks = nn.ModuleList([GridBlock(width, heads) for _ in range(depth)])
        self.out = nn.Sequential(nn.Linear(width, head_hidden), nn.GELU(), nn.Linear(head_hidden, patch * patch * channels))
        del self.cond_pos

    def context(self, condition, drop_condition):
        return self.cond_in(self.choose(condition, self.null, drop_condition))

    def run(self, sample, timestep, context):
        c = self.t_mlp(timestep_features(timestep))
        mod = self.ada(c).reshape(c.shape[0], 6, self.width)
        x = self.patch_in(self.patchify(sample)) + self.pos + context
        for blk in self.blocks:
            x = blk(x, mod)
        shift, scale = self.final_ada(c).chunk(2, dim=-1)
        x = self.final_norm(x) * (1 + scale[:, None]) + shift[:, None]
        return self.unpatchify(self.out(x))


class GridEditDecoder(GridDecoder):
    """GridDecoder plus the source image's tokens, added to the same patch tokens through their own projection
    (zero-initialised, so it starts as the generation decoder it is initialised from)."""

    def __init__(self, cond_dim, width, depth, heads, **kw):
        super().__init__(cond_dim, width, depth, heads, **kw)
        self.null_source = nn.Parameter(torch.randn(1, self.null.shape[1], cond_dim) * 0.02)
        self.source_in = nn.Sequential(nn.Linear(cond_dim, width), nn.GELU(), nn.Linear(width, width))
        nn.init.zeros_(self.source_in[2].weight)
        nn.init.zeros_(self.source_in[2].bias)

    def forward(self, sample, timestep, condition, source, drop_condition):
        return self.to_velocity(sample, timestep, self.net(sample, timestep, condition, source, drop_condition))

    def net(self, sample, timestep, condition, source, drop_condition):
        context = self.context(condition, drop_condition) + self.source_in(self.choose(source, self.null_source, drop_condition))
        return self.run(sample, timestep, context)


@torch.no_grad()
def sample_euler(velocity_fn, noise, steps, guidance):
    """Euler from t=1 (noise) to t=0; velocity_fn(x, t, drop) -> v. CFG: v_null + g (v_cond - v_null)."""
    x = noise
    b = x.shape[0]
    ts = torch.linspace(1.0, 0.0, steps + 1, device=x.device)
    for i in range(steps):
        t = ts[i].expand(b)
        if guidance != 1.0:
            xx = torch.cat([x, x])
            drop = torch.cat([torch.zeros(b, device=x.device), torch.ones(b, device=x.device)])
            v_cond, v_null = velocity_fn(xx, torch.cat([t, t]), drop).chunk(2)
            v = v_null + guidance * (v_cond - v_null)
        else:
            v = velocity_fn(x, t, torch.zeros(b, device=x.device))
        x = x + (ts[i + 1] - ts[i]) * v
    return x.clamp(-1, 1)
