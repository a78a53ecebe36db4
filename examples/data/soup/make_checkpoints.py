#!/usr/bin/env python3
"""Write the three tiny checkpoints the model-soup example averages (a/, b/, c/ each holding a
model.safetensors), with the standard library only. Tensors: `w` (F32, [2]) and `emb` (F32,
[2, 3]). Uniform soup of w: ((1, 2) + (3, -2) + (2, 3)) / 3 = (2, 1). Run from this folder."""
import json, pathlib, struct

CKPTS = {
    "a": {"w": [1.0, 2.0], "emb": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]},
    "b": {"w": [3.0, -2.0], "emb": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]},
    "c": {"w": [2.0, 3.0], "emb": [2.0, 1.0, 0.0, -1.0, -2.0, -3.0]},
}
SHAPES = {"w": [2], "emb": [2, 3]}


def write(path, tensors):
    header, data = {}, b""
    for name in sorted(tensors):
        raw = struct.pack(f"<{len(tensors[name])}f", *tensors[name])
        header[name] = {"dtype": "F32", "shape": SHAPES[name], "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(text)) + text + data)


for name, tensors in CKPTS.items():
    write(pathlib.Path(name) / "model.safetensors", tensors)
