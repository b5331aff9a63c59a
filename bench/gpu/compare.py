#!/usr/bin/python3
"""Compares two checkpoints of one model tensor by tensor (GPU vs CPU parity).

Usage: bench/gpu/compare.py A.safetensors B.safetensors [--tolerance X]
Prints the largest relative difference ‖a − b‖ / ‖a‖ over the tensors and exits
1 if it is above the tolerance (default 1e-4: float32 arithmetic summed in
another order, well under what a wrong kernel gives).
"""

import argparse
import json
import struct
import sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        assert entry["dtype"] == "F32", f"{path}: {name} is {entry['dtype']}"
        tensors[name] = np.frombuffer(data[begin:end], dtype=np.float32)
    return tensors


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()
    a, b = read_safetensors(args.a), read_safetensors(args.b)
    if sorted(a) != sorted(b):
        sys.exit(f"the checkpoints hold different tensors: {sorted(a)} vs {sorted(b)}")
    worst, worst_name = 0.0, None
    for name in sorted(a):
        x, y = a[name].astype(np.float64), b[name].astype(np.float64)
        if not np.all(np.isfinite(y)):
            sys.exit(f"{name}: {args.b} holds NaN or infinity")
        rel = np.linalg.norm(x - y) / max(np.linalg.norm(x), 1e-30)
        if rel > worst:
            worst, worst_name = rel, name
    verdict = "ok" if worst <= args.tolerance else "MISMATCH"
    print(f"parity {verdict}: largest relative difference {worst:.3g} "
          f"({worst_name}), tolerance {args.tolerance:g}")
    sys.exit(0 if verdict == "ok" else 1)


if __name__ == "__main__":
    main()
