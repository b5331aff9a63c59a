#!/usr/bin/python3
"""Builds a two-class image folder from Fashion-MNIST, for examples/medical_cnn.weft.

No medical images are on hand, so this stands in for them: two Fashion-MNIST
classes saved as RGB images of the requested size (upscaled with bicubic
resampling, tinted per image so that the three channels differ), laid out as
Keras' flow_from_directory reads them:

    OUT/train/<class>/*.png|jpg    OUT/test/<class>/...

Usage: scripts/make-image-folder.py OUT [--classes 0,1] [--names a,b]
       [--train N] [--test N] [--size 128] [--jpeg-every K]
--train and --test count images per class; every K-th image is a JPEG
(0: none), so the loader meets both formats.
"""

import argparse
import os
import sys

import numpy as np
from PIL import Image

# IDX files are read by the test helpers' reader (test/lib/weft_testing.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "lib"))
from weft_testing import read_idx  # noqa: E402


SOURCE = "/usr/share/datasets/fashion-mnist"
NAMES = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
         "sneaker", "bag", "boot"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--classes", default="0,1")
    ap.add_argument("--names")
    ap.add_argument("--train", type=int, default=1000)
    ap.add_argument("--test", type=int, default=200)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--jpeg-every", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    classes = [int(c) for c in args.classes.split(",")]
    names = args.names.split(",") if args.names else [NAMES[c] for c in classes]
    rng = np.random.default_rng(args.seed)
    for split, idx_split, count in (("train", "train", args.train),
                                    ("test", "t10k", args.test)):
        images = read_idx(f"{SOURCE}/{idx_split}-images-idx3-ubyte.gz")
        labels = read_idx(f"{SOURCE}/{idx_split}-labels-idx1-ubyte.gz")
        for c, name in zip(classes, names):
            folder = os.path.join(args.out, split, name)
            os.makedirs(folder, exist_ok=True)
            for i, k in enumerate(np.flatnonzero(labels == c)[:count]):
                gray = Image.fromarray(images[k]).resize((args.size, args.size),
                                                         Image.BICUBIC)
                tint = rng.uniform(0.6, 1.0, size=3)
                rgb = (np.asarray(gray, np.float32)[..., None] * tint).astype(np.uint8)
                jpeg = args.jpeg_every and i % args.jpeg_every == args.jpeg_every - 1
                path = os.path.join(folder, f"{name}_{i:05d}." + ("jpg" if jpeg else "png"))
                Image.fromarray(rgb, "RGB").save(path, quality=95)
    print(f"wrote {args.out}: classes {names}, {args.train} train and "
          f"{args.test} test images per class, {args.size}x{args.size} RGB")


if __name__ == "__main__":
    main()
