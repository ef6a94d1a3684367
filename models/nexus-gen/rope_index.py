"""M-RoPE position ids [3, T] for a token sequence with image spans (Qwen2.5-VL get_rope_index, images only).

Follows huggingface/transformers src/transformers/models/qwen2_5_vl/modeling_qwen2_5_vl.py
(Qwen2_5_VLForConditionalGeneration.get_rope_index): text tokens count up on all three axes; an image span of
(t, h, w) patches holds (t, h/2, w/2) tokens at (start + t_idx * 0, start + row, start + col) where start is the
position after the preceding text (images: second_per_grid_t = 0, so the time axis stays at start); text resumes
at max + 1. Nexus-Gen's predicted image (the 81 prefill slots after <|vision_start|>) takes the same positions
as an image of grid (1, 18, 18) (modeling/ar/modeling_qwen2_5_vl.py prepare_image_position_ids), and the text
after it continues at its max + 1, as in training (get_rope_index over the whole conversation).
"""
import numpy as np


def image_positions(start, grid, merge):
    t, h, w = grid
    lh, lw = h // merge, w // merge
    rows = np.repeat(np.arange(lh), lw)
    cols = np.tile(np.arange(lw), lh)
    rows, cols = np.tile(rows, t), np.tile(cols, t)
    return np.stack([np.zeros_like(rows), rows, cols]) + start


def rope_index(length, spans, merge):
    """spans: [(start_index, grid_thw)] in order; returns (positions [3, length] int64, next position)."""
    pos = np.zeros((3, length), np.int64)
    at, nxt = 0, 0
    for start, grid in spans:
        n = start - at
        pos[:, at:start] = np.arange(nxt, nxt + n)
        nxt += n
        img = image_positions(nxt, grid, merge)
        pos[:, start:start + img.shape[1]] = img
        at = start + img.shape[1]
        nxt = int(img.max()) + 1
    pos[:, at:] = np.arange(nxt, nxt + length - at)
    nxt += length - at
    return pos, nxt
