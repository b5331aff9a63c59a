"""Writes good and broken data and checkpoints for runtime-errors.test."""
import os
import shutil
import sys

import numpy as np

import weft_testing as wt

root = sys.argv[1]
images = np.arange(4 * 2 * 2, dtype=np.uint8).reshape(4, 2, 2)
labels = np.array([0, 1, 2, 1], dtype=np.uint8)
wt.write_dataset(f"{root}/good", images, labels, images, labels)


def variant(name, **files):
    """A copy of the good folder with some files replaced by raw bytes."""
    folder = f"{root}/{name}"
    shutil.copytree(f"{root}/good", folder)
    for file, data in files.items():
        with open(f"{folder}/{file.replace('_', '-')}", "wb") as f:
            f.write(data)


good_images = open(f"{root}/good/train-images-idx3-ubyte", "rb").read()
variant("truncated", train_images_idx3_ubyte=good_images[:-3])
variant("magic", train_images_idx3_ubyte=b"\x12\x34" + good_images[2:])
shutil.copytree(f"{root}/good", f"{root}/count")
wt.write_idx(f"{root}/count/train-labels-idx1-ubyte", labels[:3])
shutil.copytree(f"{root}/good", f"{root}/range")
wt.write_idx(f"{root}/range/train-labels-idx1-ubyte", np.array([0, 1, 9, 1], np.uint8))
shutil.copytree(f"{root}/good", f"{root}/size")
wt.write_idx(f"{root}/size/train-images-idx3-ubyte", np.zeros((4, 3, 3), np.uint8))

w = np.ones((3, 4), np.float32)
b = np.zeros(3, np.float32)
wt.write_safetensors(f"{root}/good.safetensors", {"fc.weight": w, "fc.bias": b})
wt.write_safetensors(f"{root}/names.safetensors", {"fc.weight": w, "fc.b": b})
wt.write_safetensors(f"{root}/shape.safetensors", {"fc.weight": w.T.copy(), "fc.bias": b})
wt.write_safetensors(f"{root}/all.safetensors",
                     {"fc.weight": w.T.copy(), "conv.weight": w, "conv.bias": b})
wt.write_safetensors(f"{root}/counter.safetensors",
                     {"fc.weight": w, "fc.bias": b,
                      "bn.num_batches_tracked": np.array(7, np.int64)})
good = open(f"{root}/good.safetensors", "rb").read()
open(f"{root}/truncated.safetensors", "wb").write(good[:-8])
open(f"{root}/header.safetensors", "wb").write(good[:8] + b"{not json" + good[17:])
open(f"{root}/length.safetensors", "wb").write(b"\xff" * 8 + good[8:])
