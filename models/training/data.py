"""Dataset IO: a world dataset folder (models/DATASET.md) <-> one packed .npz the trainer reads.

Packing exists because the GPU machine receives the working tree through a small copy budget; PNG folders of
tens of thousands of files are slow to copy and to decode, while one compressed array of uint8 pixels is not.
"""
import gzip
import json
import os
import shutil

import numpy as np

RECORD_KEYS = ("id", "task", "input_ids", "image_spans", "loss_start", "answer", "scene", "target_scene")


def read_dataset_dir(path):
    """Reads DIR/{split}.jsonl + images into (images uint8 [M,S,S,3], records with global image indices)."""
    from PIL import Image  # only here: the GPU machine reads packed arrays and may lack PIL

    jsonl = [f for f in sorted(os.listdir(path)) if f.endswith(".jsonl")]
    if not jsonl:
        raise FileNotFoundError(f"no .jsonl in {path}")
    image_index = {}
    pixels = []
    records = []
    for name in jsonl:
        with open(os.path.join(path, name), encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                raw = json.loads(line)
                rec = {k: raw.get(k) for k in RECORD_KEYS}
                local = []
                for rel in raw["images"]:
                    if rel not in image_index:
                        image_index[rel] = len(pixels)
                        pixels.append(np.asarray(Image.open(os.path.join(path, rel)).convert("RGB"), dtype=np.uint8))
                    local.append(image_index[rel])
                rec["image_ids"] = local
                records.append(rec)
    return np.stack(pixels), records


def pack(src, dst_prefix):
    images, records = read_dataset_dir(src)
    np.savez_compressed(dst_prefix + ".npz", images=images)
    with gzip.open(dst_prefix + ".json.gz", "wt", encoding="utf-8") as f:
        json.dump(records, f)
    for name in ("tokenizer.json", "world.json"):
        if os.path.exists(os.path.join(src, name)):
            shutil.copy(os.path.join(src, name), os.path.join(os.path.dirname(os.path.abspath(dst_prefix)), name))
    return images.shape[0], len(records)


def load_packed(prefix):
    images = np.load(prefix + ".npz")["images"]
    with gzip.open(prefix + ".json.gz", "rt", encoding="utf-8") as f:
        records = json.load(f)
    return images, records


def load_any(path):
    """A packed prefix (x.npz + x.json.gz) or a dataset folder."""
    if os.path.isdir(path):
        return read_dataset_dir(path)
    return load_packed(path[:-4] if path.endswith(".npz") else path)


def special_ids(tokenizer_json, image_tokens):
    """Special token ids from a Hugging Face tokenizer.json (added_tokens first, then the model vocab)."""
    with open(tokenizer_json, encoding="utf-8") as f:
        tok = json.load(f)
    table = dict(tok.get("model", {}).get("vocab", {}))
    for t in tok.get("added_tokens", []):
        table[t["content"]] = t["id"]
    names = {"boi": "<|vision_start|>", "eoi": "<|vision_end|>", "image_pad": "<|image_pad|>",
             "prefill": "<|prefill_0|>", "im_start": "<|im_start|>", "im_end": "<|im_end|>", "pad": "<|pad|>"}
    ids = {k: table[v] for k, v in names.items()}
    for k in range(image_tokens):
        if table[f"<|prefill_{k}|>"] != ids["prefill"] + k:
            raise ValueError("prefill ids are not consecutive")
    vocab_size = max(table.values()) + 1
    id_to_token = {v: k for k, v in table.items()}
    return ids, vocab_size, id_to_token


def write_png(path, rgb):
    """uint8 [H,W,3] -> 8-bit RGB PNG, with the standard library only (PIL is absent on the GPU machine)."""
    import struct
    import zlib

    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


if __name__ == "__main__":
    import sys

    m, n = pack(sys.argv[1], sys.argv[2])
    print(json.dumps({"images": m, "records": n, "npz_bytes": os.path.getsize(sys.argv[2] + ".npz")}))
