"""Stage 1: pretrain the vision encoder (reconstruction + per-cell attribute heads), then embed every image."""
import numpy as np
import torch
import torch.nn.functional as F

from checkpoint import StageLoop, load_weights, save_weights
from encoder import EncoderPretrainHeads, VisionEncoder


def scene_of_shape(s, key, *alts):
    for k in (key, *alts):
        if k in s:
            return s[k]
    raise KeyError(key)


def image_scenes(records, n_images):
    """Which scene each image shows, where the record says so: the edit target / generated image carries
    target_scene (or scene when there is none), the first image of a non-generation record carries scene."""
    scenes = [None] * n_images
    for r in records:
        ids = r["image_ids"]
        if not ids:
            continue
        if r.get("target_scene"):
            scenes[ids[-1]] = r["target_scene"]
        elif r["task"] == "generation" and r.get("scene"):
            scenes[ids[-1]] = r["scene"]
        if r["task"] in ("editing", "understanding") and r.get("scene"):
            scenes[ids[0]] = r["scene"]
    return scenes


def attribute_labels(scenes):
    """[M,9,3] int64 labels (colour, shape, size; 0 = empty cell) and -1 rows for images without a scene."""
    colours, shapes, sizes = set(), set(), set()
    for sc in scenes:
        for s in (sc or {}).get("shapes", []):
            colours.add(scene_of_shape(s, "colour", "color"))
            shapes.add(s["shape"])
            sizes.add(s["size"])
    vocab = {"colour": sorted(colours), "shape": sorted(shapes), "size": sorted(sizes)}
    labels = np.full((len(scenes), 9, 3), -1, np.int64)
    for i, sc in enumerate(scenes):
        if sc is None:
            continue
        labels[i] = 0
        for s in sc["shapes"]:
            c = int(s["cell"])
            labels[i, c] = [vocab["colour"].index(scene_of_shape(s, "colour", "color")) + 1,
                            vocab["shape"].index(s["shape"]) + 1, vocab["size"].index(s["size"]) + 1]
    return labels, vocab


def to_pixels(images_u8, device):
    """uint8 [B, H, W, 3] (numpy, or a tensor already on the device) -> float [B, 3, H, W] in [-1, 1]."""
    t = images_u8 if isinstance(images_u8, torch.Tensor) else torch.from_numpy(images_u8)
    return t.to(device).permute(0, 3, 1, 2).float() / 127.5 - 1.0


def pretrain_encoder(cfg, state, images, records, device):
    torch.manual_seed(cfg["seed"])
    enc = VisionEncoder(cfg["dim"], cfg["enc_width"]).to(device)
    labels, vocab = attribute_labels(image_scenes(records, len(images)))
    heads = EncoderPretrainHeads(cfg["dim"], len(vocab["colour"]), len(vocab["shape"]), len(vocab["size"]),
                                 width=cfg["enc_width"]).to(device)
    if state.done("encoder"):
        return load_weights(enc, state.ckpt("encoder.npz")).to(device).eval()
    opt = torch.optim.AdamW(list(enc.parameters()) + list(heads.parameters()), lr=cfg["enc_lr"], weight_decay=0.01)
    gen = torch.Generator().manual_seed(cfg["seed"] + 1)
    lab_all = torch.from_numpy(labels).to(device)
    loop = StageLoop("encoder", state, cfg["enc_steps"], cfg["enc_seconds"], [enc, heads], [opt], cfg["enc_lr"], save_every=cfg["save_every"], log_every=cfg["log_every"])
    pixels = torch.from_numpy(images).to(device)  # uint8, once
    for _ in loop:
        idx = torch.randint(0, len(images), (cfg["enc_batch"],), generator=gen)
        x = to_pixels(pixels[idx.to(device)], device)
        lab = lab_all[idx.to(device)]
        with autocast(device):
            recon, lc, ls, lz = heads(enc(x))
        recon = recon.float()
        loss_rec = F.mse_loss(recon, x)
        ce = 0.0
        for k, logits in enumerate((lc, ls, lz)):
            ce = ce + F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), lab[..., k].reshape(-1), ignore_index=-1)
        loss = loss_rec + 0.3 * ce
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loop.log(loss=loss.detach(), recon=loss_rec.detach(), attr_ce=ce.detach())
    info = loop.close()
    info["attribute_accuracy"] = attribute_accuracy(enc, heads, images, lab_all, device)
    save_weights(enc, state.ckpt("encoder.npz"))
    state.finish("encoder", info)
    return enc.eval()


@torch.no_grad()
def attribute_accuracy(enc, heads, images, lab_all, device, n=1000):
    """Cell-wise accuracy of the attribute heads on the first n labelled images: do the tokens carry them?"""
    enc.eval()
    heads.eval()
    x = to_pixels(images[:n], device)
    lab = lab_all[:n]
    _, lc, ls, lz = heads(enc(x), reconstruct=False)
    out = {}
    for k, (name, logits) in enumerate((("colour", lc), ("shape", ls), ("size", lz))):
        m = lab[..., k] >= 0
        out[name] = round(float((logits.argmax(-1)[m] == lab[..., k][m]).float().mean()), 4) if m.any() else None
    enc.train()
    return out


@torch.no_grad()
def embed_images(enc, images, device, batch=512):
    enc.eval()
    out = []
    for i in range(0, len(images), batch):
        out.append(enc(to_pixels(images[i:i + batch], device)).float())
    return torch.cat(out)


def autocast(device):
    """bf16 autocast on CUDA (speed), a no-op on CPU (the exact fp32 path the export is checked against)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)
