"""Image decoding and resizing against PIL, the library Keras loads with.

A model whose forward pass is a Dense layer with identity weights and no
bias (and an mse loss, so that `predict` prints raw outputs) shows the
pixels exactly as the runtime's image loader hands them to the model. For
PNG (RGB, RGBA, grayscale, palette) and JPEG (colour, grayscale)
files of sizes that force up- and down-scaling, those pixels must equal
PIL's convert("RGB"|"L") + resize(NEAREST) scaled by 1/255, as
keras.utils.load_img gives them (JPEG within one grey level, as two builds
of libjpeg may round its inverse DCT differently).

Usage: image_parity.test.py WORK_DIR
"""

import os
import sys

import numpy as np
from PIL import Image

import weft_testing as wt

C_H_W = {"rgb": (3, 5, 7), "gray": (1, 6, 4)}
MODEL = """
model Identity {{
  input image: f32[{c}, {h}, {w}]
  input target: one_hot({n})
  layer fc = Dense({n}, use_bias: false)
  forward {{ out = fc(flatten(image)) }}
  loss = mse(out, target)
}}
train Identity {{
  data = image_folder("unused", rescale: 1 / 255)
}}
"""


def sources(rng):
    """{file name: PIL image} in every mode the loader should accept."""
    rgb = rng.integers(0, 256, (9, 13, 3), dtype=np.uint8)
    images = {
        "rgb.png": Image.fromarray(rgb, "RGB"),
        "rgba.png": Image.fromarray(rng.integers(0, 256, (4, 3, 4), dtype=np.uint8), "RGBA"),
        "gray.png": Image.fromarray(rng.integers(0, 256, (11, 2), dtype=np.uint8), "L"),
        "palette.png": Image.fromarray(rgb, "RGB").convert("P"),
        "photo.jpg": Image.fromarray(rgb, "RGB"),
        "grayphoto.jpg": Image.fromarray(rgb[..., 0], "L"),
    }
    return images


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(0)
    files = {}
    for name, image in sources(rng).items():
        path = os.path.join(work, name)
        image.save(path, quality=90) if name.endswith(".jpg") else image.save(path)
        files[name] = path
    failures = 0
    for mode, (c, h, w) in C_H_W.items():
        n = c * h * w
        exe = wt.compile_model(MODEL.format(c=c, h=h, w=w, n=n), work, f"identity_{mode}")
        weights = os.path.join(work, f"identity_{mode}.safetensors")
        wt.write_safetensors(weights, {"fc.weight": np.eye(n, dtype=np.float32)})
        out = wt.run([exe, "predict", "--weights", weights] + list(files.values()))
        got = {}
        for line in out.splitlines():
            path, values = line.split(": ")
            got[os.path.basename(path)] = np.array(values.split(), np.float32)
        for name, path in files.items():
            with Image.open(path) as image:
                want = image.convert("RGB" if c == 3 else "L").resize((w, h), Image.NEAREST)
            want = np.asarray(want, np.float32).reshape(h, w, c).transpose(2, 0, 1) / 255
            error = float(np.abs(got[name] - want.reshape(-1)).max()) * 255
            limit = 1.01 if name.endswith(".jpg") else 0.001
            status = "ok" if error <= limit else "FAILED"
            failures += status != "ok"
            print(f"image-parity {mode} {name}: max error {error:.2f} grey levels {status}")
    print("image-parity: " + ("FAILED" if failures else "PASSED"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
