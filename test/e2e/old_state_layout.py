"""Rewrites a training checkpoint's optimizer state in the layout Weft wrote
before weft.optimizer_state_layout existed: each trainable parameter's state
tensors together (exp_avg then exp_avg_sq of the first parameter, then the
next's), with no layout key. Tests that such files still resume exactly.

Usage: old_state_layout.py IN OUT

Trainable parameters are the tensors in the file's order (their data
offsets), less weft.* and BatchNorm's running statistics.
"""
import json
import struct
import sys

import numpy as np

source, target = sys.argv[1:]
with open(source, "rb") as f:
    data = f.read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n])
body = bytearray(data[8 + n:])
metadata = header["__metadata__"]
assert metadata.pop("weft.optimizer_state_layout") == "by_state", metadata


def floats(entry):
    begin, end = entry["data_offsets"]
    return np.frombuffer(bytes(body[begin:end]), dtype="<f4")


params = sorted((entry["data_offsets"][0], int(np.prod(entry["shape"])))
                for name, entry in header.items()
                if name != "__metadata__" and not name.startswith("weft.")
                and not name.endswith((".running_mean", ".running_var")))
sizes = [size for _, size in params]
trainable = sum(sizes)
state_entry = header["weft.optimizer_state"]
state = floats(state_entry)
kinds = len(state) // trainable
assert kinds * trainable == len(state), (len(state), trainable)
old, before = [], 0
for size in sizes:
    for kind in range(kinds):
        start = kind * trainable + before
        old.append(state[start:start + size])
    before += size
begin, end = state_entry["data_offsets"]
body[begin:end] = np.concatenate(old).astype("<f4").tobytes()
text = json.dumps(header).encode()
text += b" " * ((8 - len(text) % 8) % 8)
with open(target, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + bytes(body))
