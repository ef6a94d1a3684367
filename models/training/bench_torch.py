"""PyTorch side of `npm run bench:model`: the same generation job as the runtime, on the same weights (the
trainer's run folder the bundle was exported from) and the same thread count, plus the diffusion decoder's
FLOP count per row. Prints one JSON object.

  python3 models/training/bench_torch.py (--run RUN | --bundle DIR) --job job.json --threads 2 --repeats 5

job.json (written by scripts/bench-model.ts): prompt_ids, text_ids (the tokens the runtime decoded before
<boi>), steps, guidance, seed. The torch job replays the runtime's work: prompt pass, one pass per text token,
<boi> + N prefill slots in one pass, the <eoi> pass, Euler steps with CFG (cond and null rows batched), PNG.
"""
import argparse
import io
import json
import os
import statistics
import sys
import time

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import layers  # noqa: E402
from evaluate import load_models  # noqa: E402
from onnx_weights import load_bundle_models  # noqa: E402


@torch.no_grad()
def generation_job(m, cfg, job):
    ar, gen = m["ar"]["prefill"], m["gen"]
    sp = cfg["special"]
    n = cfg.get("image_tokens", 16)
    ids = torch.tensor([job["prompt_ids"]])
    x = ar.embed(ids)
    t = ids.shape[1]
    mask = torch.ones(1, t, dtype=torch.long)
    logits, _, past = ar(x, mask, torch.arange(t)[None], ar.empty_past(1, "cpu"))
    pos = t
    for tok in job["text_ids"] + [sp["boi"]]:
        logits[0, -1].argmax()
        if tok == sp["boi"]:
            break
        mask = torch.cat([mask, torch.ones(1, 1, dtype=torch.long)], 1)
        logits, _, past = ar(ar.embed(torch.tensor([[tok]])), mask, torch.tensor([[pos]]), past)
        pos += 1
    window = torch.tensor([[sp["boi"]] + [sp["prefill"] + k for k in range(n)]])
    mask = torch.cat([mask, torch.ones(1, n + 1, dtype=torch.long)], 1)
    _, image, past = ar(ar.embed(window), mask, torch.arange(pos, pos + n + 1)[None], past)
    cond = image[:, :n]
    pos += n + 1
    mask = torch.cat([mask, torch.ones(1, 1, dtype=torch.long)], 1)
    logits, _, past = ar(ar.embed(torch.tensor([[sp["eoi"]]])), mask, torch.tensor([[pos]]), past)
    logits[0, -1].argmax()
    g = torch.Generator().manual_seed(job["seed"])
    xt = torch.randn((1, 3, 64, 64), generator=g)
    steps, guidance = job["steps"], job["guidance"]
    ts = torch.linspace(1.0, 0.0, steps + 1)
    for i in range(steps):
        tt = ts[i].expand(1)
        if guidance != 1.0:
            v_cond, v_null = gen(torch.cat([xt, xt]), torch.cat([tt, tt]), torch.cat([cond, cond]), torch.tensor([0.0, 1.0])).chunk(2)
            v = v_null + guidance * (v_cond - v_null)
        else:
            v = gen(xt, tt, cond, torch.tensor([0.0]))
        xt = xt + (ts[i + 1] - ts[i]) * v
    arr = ((xt[0].clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", compress_level=6)  # the runtime's PNG setting (zlib level 6)
    return buf.getvalue()


def decoder_flops_per_row(dec, dim, n=16):
    """Multiply-adds ×2 of Linear, Conv2d and attention matmuls for one decoder row (one sample)."""
    total = [0]

    def linear_hook(mod, inp, out):
        total[0] += 2 * inp[0].numel() // inp[0].shape[-1] * mod.in_features * mod.out_features

    def conv_hook(mod, inp, out):
        k = mod.in_channels // mod.groups * mod.kernel_size[0] * mod.kernel_size[1]
        total[0] += 2 * out.numel() * k

    plain = layers.attention

    def counted(q, k, v, bias=None):
        b, h, tq, hd = q.shape
        total[0] += 2 * 2 * b * h * tq * k.shape[2] * hd
        return plain(q, k, v, bias)

    hooks = []
    for mod in dec.modules():
        if isinstance(mod, torch.nn.Linear):
            hooks.append(mod.register_forward_hook(linear_hook))
        elif isinstance(mod, torch.nn.Conv2d):
            hooks.append(mod.register_forward_hook(conv_hook))
    layers.attention = counted
    try:
        with torch.no_grad():
            dec(torch.zeros(1, 3, 64, 64), torch.tensor([0.5]), torch.zeros(1, n, dim), torch.tensor([0.0]))
    finally:
        layers.attention = plain
        for h in hooks:
            h.remove()
    return total[0]


def main(argv=None):
    ap = argparse.ArgumentParser()
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--run", help="the trainer's run folder (config.json + ckpt/*.npz)")
    src.add_argument("--bundle", help="a bundle folder: modules re-created from its ONNX weights, checked against its goldens")
    ap.add_argument("--job", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    layers.set_fused_attention(False)
    with open(args.job, encoding="utf-8") as f:
        job = json.load(f)
    if args.run:
        cfg, m = load_models(args.run, torch.device("cpu"))
        source = "trainer run " + args.run
    else:
        cfg, m = load_bundle_models(args.bundle)
        source = "ONNX weights of " + args.bundle + " (goldens reproduced)"
    # Debian's torch (generic BLAS, OpenMP) can be slower with 2 threads than with 1 on a shared CPU: time one
    # job with each thread count up to --threads and keep torch's faster setting, so the comparison favours torch.
    best = None
    for n in sorted({args.threads, 1}, reverse=True):
        torch.set_num_threads(n)
        generation_job(m, cfg, job)  # warm-up
        t0 = time.perf_counter()
        generation_job(m, cfg, job)
        took = time.perf_counter() - t0
        if best is None or took < best[1]:
            best = (n, took)
    torch.set_num_threads(best[0])
    times = [best[1]]
    for _ in range(args.repeats - 1):
        t0 = time.perf_counter()
        generation_job(m, cfg, job)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"torch_job_seconds": statistics.median(times), "torch_version": torch.__version__, "threads": best[0], "weights": source,
                      "decoder_flops_per_row": decoder_flops_per_row(m["gen"], cfg["dim"])}))


if __name__ == "__main__":
    main()
