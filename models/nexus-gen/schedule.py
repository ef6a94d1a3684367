"""The flow-matching schedule Nexus-Gen samples with, and its published defaults.

Nexus-Gen's pipelines (modelscope/Nexus-Gen modeling/decoder/pipelines.py) use DiffSynth-Studio's FluxImagePipeline
scheduler: diffsynth/schedulers/flow_match.py FlowMatchScheduler(shift=3.0, sigma_max=1.0,
sigma_min=0.003/1.002, num_train_timesteps=1000): sigmas linear from 1 to sigma_min over `steps`, shifted
sigma' = shift*s / (1 + (shift-1)*s); the DiT sees timestep = 1000*sigma'; Euler x += v * (sigma_next - sigma),
sigma_next = 0 after the last step. FLUX's own sampler (black-forest-labs/flux src/flux/sampling.py
get_schedule) instead shifts by resolution: mu linear in the image token count from (256, 0.5) to (4096, 1.15),
sigma' = e^mu / (e^mu + 1/s - 1); `resolution_shift_sigmas` gives that one for bundles that ask for it.
"""
import math

DEFAULTS = {
    "generation": {"steps": 50, "guidance": 3.0, "embedded_guidance": 3.5, "negative_prompt": "", "seed": 52,
                   "size": 512},
    "editing": {"steps": 50, "guidance": 1.0, "embedded_guidance": 3.5, "seed": 42, "size": 512},
}
SHIFT = 3.0
SIGMA_MIN = 0.003 / 1.002
NUM_TRAIN_TIMESTEPS = 1000


def shifted_sigmas(steps, shift=SHIFT, sigma_min=SIGMA_MIN):
    """steps + 1 values: the `steps` sigmas the DiT is called at, then the final 0."""
    if steps == 1:
        lin = [1.0]
    else:
        lin = [1.0 + (sigma_min - 1.0) * i / (steps - 1) for i in range(steps)]
    return [shift * s / (1 + (shift - 1) * s) for s in lin] + [0.0]


def resolution_shift_sigmas(steps, image_tokens, base_shift=0.5, max_shift=1.15):
    mu = base_shift + (max_shift - base_shift) * (image_tokens - 256) / (4096 - 256)
    ts = [1.0 - i / steps for i in range(steps + 1)]
    return [0.0 if t <= 0 else math.exp(mu) / (math.exp(mu) + (1 / t - 1)) for t in ts]
