"""Compares safetensors files tensor by tensor, bit for bit.

Usage: compare_checkpoints.py A B [C ...]    fails unless all hold the same
                                             tensors with the same bits
       compare_checkpoints.py --tolerance T A B [C ...]
                                             the same tensors, each value
                                             within T (absolute, plus T times
                                             the value: float rounding that
                                             differs between targets)
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
args = sys.argv[1:]
tolerance = None
if args[0] == "--tolerance":
    tolerance, args = float(args[1]), args[2:]
first, *others = [wt.read_safetensors(p) for p in args]
for path, other in zip(args[1:], others):
    if sorted(other) != sorted(first):
        sys.exit(f"{path} holds {sorted(other)}, {args[0]} {sorted(first)}")
    for name in first:
        if tolerance is None:
            same = np.array_equal(first[name], other[name])
        else:
            same = np.allclose(other[name], first[name], rtol=tolerance,
                               atol=tolerance)
        if not same:
            worst = np.abs(first[name] - other[name]).max()
            sys.exit(f"{path}: {name} differs from {args[0]} (max {worst:g})")
print(("identical: " if tolerance is None else f"within {tolerance:g}: ")
      + ", ".join(sorted(first)))
