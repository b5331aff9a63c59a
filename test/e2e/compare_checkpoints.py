"""Compares safetensors files tensor by tensor, bit for bit.

Usage: compare_checkpoints.py A B [C ...]    fails unless all hold the same
                                             tensors with the same bits
       compare_checkpoints.py --strip IN OUT writes IN's model weights only
                                             (no weft.* tensors) to OUT
"""
import sys

import numpy as np

import weft_testing as wt

if sys.argv[1] == "--strip":
    tensors = wt.read_safetensors(sys.argv[2])
    wt.write_safetensors(sys.argv[3], {k: v for k, v in tensors.items()
                                       if not k.startswith("weft.")})
    sys.exit(0)
first, *others = [wt.read_safetensors(p) for p in sys.argv[1:]]
for path, other in zip(sys.argv[2:], others):
    if sorted(other) != sorted(first):
        sys.exit(f"{path} holds {sorted(other)}, {sys.argv[1]} {sorted(first)}")
    for name in first:
        if not np.array_equal(first[name], other[name]):
            worst = np.abs(first[name] - other[name]).max()
            sys.exit(f"{path}: {name} differs from {sys.argv[1]} (max {worst:g})")
print("identical: " + ", ".join(sorted(first)))
