"""Checkpoints and the stage loop's bookkeeping.

Finished stages are saved as .npz of float32 arrays (readable by any torch version: the GPU machine trains with
torch 2.x, this machine exports with torch 1.13); in-stage resume state (optimizer, step, RNG) uses torch.save
and is only read back by the same machine that wrote it.
"""
import json
import math
import os
import time

import numpy as np
import torch


def save_weights(module, path):
    arrays = {k: v.detach().float().cpu().numpy() for k, v in module.state_dict().items()}
    tmp = path + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def load_weights(module, path):
    with np.load(path) as z:
        state = {k: torch.from_numpy(z[k]) for k in z.files}
    module.load_state_dict(state)
    return module


class RunState:
    """out/state.json: which stages are done, with their figures; lets a killed run resume where it stopped."""

    def __init__(self, out):
        self.out = out
        self.path = os.path.join(out, "state.json")
        os.makedirs(os.path.join(out, "ckpt"), exist_ok=True)
        self.data = {"stages": {}}
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as f:
                self.data = json.load(f)

    def done(self, stage):
        return stage in self.data["stages"]

    def finish(self, stage, info):
        self.data["stages"][stage] = info
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.data, f, indent=1)
        os.replace(tmp, self.path)

    def ckpt(self, name):
        return os.path.join(self.out, "ckpt", name)


class StageLoop:
    """Step counter with a wall-clock cap, cosine LR with warmup on max(step fraction, time fraction), and
    periodic resumable checkpoints of (modules, optimizers, step)."""

    def __init__(self, name, state, steps, max_seconds, modules, optimizers, lr, warmup=100, save_every=500, log_every=100):
        self.name, self.state, self.steps, self.max_seconds = name, state, steps, max_seconds
        self.modules, self.optimizers, self.lr, self.warmup = modules, optimizers, lr, warmup
        self.save_every, self.log_every = save_every, log_every
        self.step = 0
        self.elapsed_before = 0.0
        self.resume_path = state.ckpt(name + ".resume.pt")
        if os.path.exists(self.resume_path):
            blob = torch.load(self.resume_path, map_location="cpu")
            for m, s in zip(modules, blob["modules"]):
                m.load_state_dict(s)
            for o, s in zip(optimizers, blob["optimizers"]):
                o.load_state_dict(s)
            self.step, self.elapsed_before = blob["step"], blob["elapsed"]
            torch.set_rng_state(blob["rng"])
            print(f"[{name}] resumed at step {self.step}", flush=True)
        self.start = time.time()
        self.history = []

    def elapsed(self):
        return self.elapsed_before + time.time() - self.start

    def progress(self):
        return max(self.step / max(self.steps, 1), self.elapsed() / self.max_seconds)

    def __iter__(self):
        while self.step < self.steps and self.elapsed() < self.max_seconds:
            frac = min(self.progress(), 1.0)
            scale = min(1.0, (self.step + 1) / self.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
            for o in self.optimizers:
                for g in o.param_groups:
                    g["lr"] = self.lr * scale
            yield self.step
            self.step += 1
            if self.save_every and self.step % self.save_every == 0:
                self.save_resume()

    def log(self, **losses):
        if self.step % self.log_every == 0:
            rec = {"step": self.step, "t": round(self.elapsed(), 1), **{k: round(float(v), 5) for k, v in losses.items()}}
            self.history.append(rec)
            print(f"[{self.name}] {json.dumps(rec)}", flush=True)

    def save_resume(self):
        blob = {"modules": [m.state_dict() for m in self.modules], "optimizers": [o.state_dict() for o in self.optimizers],
                "step": self.step, "elapsed": self.elapsed(), "rng": torch.get_rng_state()}
        torch.save(blob, self.resume_path + ".tmp")
        os.replace(self.resume_path + ".tmp", self.resume_path)

    def close(self):
        if os.path.exists(self.resume_path):
            os.remove(self.resume_path)
        return {"steps": self.step, "seconds": round(self.elapsed(), 1), "log": self.history[-5:]}
