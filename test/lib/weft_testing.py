"""Helpers for Weft's end-to-end tests: data files, checkpoints, compiled models.

Run with Debian's /usr/bin/python3, which has PyTorch 1.13 and numpy. The
safetensors reader and writer follow the format's specification (an 8-byte
little-endian header length, a JSON header, raw little-endian data) because
Debian ships no safetensors package.
"""

import gzip
import json
import math
import os
import struct
import subprocess

import numpy as np


def write_idx(path, array):
    """Writes a uint8 numpy array as an IDX file (gzip if path ends in .gz)."""
    array = np.asarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim])
    header += b"".join(struct.pack(">I", d) for d in array.shape)
    data = header + array.tobytes()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(data)


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


def write_dataset(folder, train_images, train_labels, test_images, test_labels):
    """An IDX data folder as weft executables read it."""
    os.makedirs(folder, exist_ok=True)
    write_idx(os.path.join(folder, "train-images-idx3-ubyte"), train_images)
    write_idx(os.path.join(folder, "train-labels-idx1-ubyte"), train_labels)
    write_idx(os.path.join(folder, "t10k-images-idx3-ubyte"), test_images)
    write_idx(os.path.join(folder, "t10k-labels-idx1-ubyte"), test_labels)


def fashion_subset(folder, train_count, test_count,
                   source="/usr/share/datasets/fashion-mnist"):
    """The first examples of Fashion-MNIST, as a smaller IDX folder."""
    def load(split, kind):
        suffix = "idx3-ubyte" if kind == "images" else "idx1-ubyte"
        return read_idx(os.path.join(source, f"{split}-{kind}-{suffix}.gz"))
    write_dataset(folder,
                  load("train", "images")[:train_count],
                  load("train", "labels")[:train_count],
                  load("t10k", "images")[:test_count],
                  load("t10k", "labels")[:test_count])


def write_safetensors(path, tensors):
    """Writes {name: numpy array} in the safetensors format: int64 arrays as
    I64 (as PyTorch writes counters), everything else as F32."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        wide = np.asarray(array).dtype == np.int64
        data = np.ascontiguousarray(array, dtype="<i8" if wide else "<f4").tobytes()
        header[name] = {"dtype": "I64" if wide else "F32", "shape": list(np.shape(array)),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry
        begin, end = entry["data_offsets"]
        raw = data[8 + n + begin:8 + n + end]
        tensors[name] = np.frombuffer(raw, dtype="<f4").reshape(entry["shape"])
    return tensors


def compile_model(source_text, folder, name):
    """Writes a .weft file into `folder` (made if missing) and compiles it
    with weftc; returns the executable."""
    os.makedirs(folder, exist_ok=True)
    src = os.path.join(folder, name + ".weft")
    with open(src, "w") as f:
        f.write(source_text)
    exe = os.path.join(folder, name)
    subprocess.run(["weftc", src, "-o", exe], check=True)
    return exe


def run(args):
    """Runs a command, failing with its output if it fails."""
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"command failed ({result.returncode}): {' '.join(args)}\n"
                         f"{result.stdout}{result.stderr}")
    return result.stdout


def sgd_step(exe, folder, images, labels, weights):
    """Runs one SGD step with lr 1 from `weights` on one batch (`images`
    uint8 [B, ...], `labels` class indices [B]) and returns the saved
    checkpoint: new = old - gradient for every parameter, and the buffers
    (running statistics) as training left them."""
    batch = len(labels)
    data = os.path.join(folder, "data")
    flat = np.asarray(images, dtype=np.uint8).reshape(batch, -1)
    labels = np.asarray(labels, dtype=np.uint8)
    write_dataset(data, flat, labels, flat, labels)
    init = os.path.join(folder, "w0.safetensors")
    write_safetensors(init, {k: np.asarray(v, dtype=np.float32)
                             for k, v in weights.items()})
    out = os.path.join(folder, "w1.safetensors")
    run([exe, "train", "--data", data, "--init", init, "--save", out,
         "--steps", "1", "--batch", str(batch), "--no-shuffle",
         "--epochs", "1", "--optimizer", "sgd", "--lr", "1",
         "--momentum", "0", "--weight-decay", "0"])
    return read_safetensors(out)


def relative_error(ours, expected):
    """max |ours - expected| / max |expected|: 0 for a perfect match."""
    return float(np.abs(ours - expected).max() / max(np.abs(expected).max(), 1e-12))


def gradient_errors(weights, ours, params):
    """{name: relative error} of the gradient one SGD step with lr 1 took
    (weights - ours) against torch's `.grad` of each tensor in `params`."""
    return {k: relative_error(weights[k] - ours[k], p.grad.numpy())
            for k, p in params.items()}


def check_errors(label, errors, tolerance, measure="relative error"):
    """Prints `label: name error, ...` for {name: error}, fails naming the
    first error that is not finite or above `tolerance`, and returns the
    largest."""
    print(f"{label}: " + ", ".join(f"{k} {e:.1e}" for k, e in errors.items()))
    for k, e in errors.items():
        if not math.isfinite(e) or e > tolerance:
            raise SystemExit(f"{label}: {k} differs from torch, {measure} "
                             f"{e:.2e} (limit {tolerance})")
    return max(errors.values())
