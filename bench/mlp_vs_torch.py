#!/usr/bin/python3
"""One training epoch of examples/mlp.weft against PyTorch, same machine, same run.

Both sides train the same MLP (784-256-10, relu) on Fashion-MNIST with Adam
(lr 1e-3), batch 32, shuffled, for one epoch, then evaluate on the test set.
The figure compared is the wall time of that epoch (training + evaluation),
read from Weft's --log and timed around the same loop in PyTorch. PyTorch runs
once with one thread (Weft's code is single-threaded today) and once with its
default thread count.

Usage: bench/mlp_vs_torch.py [--weftc build/bin/weftc] [--repeats 3]
Run it on an otherwise idle machine. It is a benchmark, not a test.
"""

import argparse
import json
import os
import sys
import subprocess
import tempfile
import time

import numpy as np
import torch

# IDX files are read by the test helpers' reader (test/lib/weft_testing.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "lib"))
from weft_testing import read_idx  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_step import MLP  # noqa: E402


DATA = "/usr/share/datasets/fashion-mnist"
CORES = os.cpu_count()


def torch_epoch(threads, seed=0):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x = torch.tensor(read_idx(f"{DATA}/train-images-idx3-ubyte.gz"), dtype=torch.float32) / 255.0
    y = torch.tensor(read_idx(f"{DATA}/train-labels-idx1-ubyte.gz"), dtype=torch.int64)
    tx = torch.tensor(read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz"), dtype=torch.float32) / 255.0
    ty = torch.tensor(read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz"), dtype=torch.int64)
    model = MLP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    order = torch.randperm(len(x))
    for i in range(0, len(x), 32):
        idx = order[i:i + 32]
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    with torch.no_grad():
        correct = 0
        for i in range(0, len(tx), 32):
            correct += (model(tx[i:i + 32]).argmax(1) == ty[i:i + 32]).sum().item()
    return time.perf_counter() - start, correct / len(tx)


def weft_epoch(exe, folder):
    log = os.path.join(folder, "log.jsonl")
    subprocess.run([exe, "train", "--epochs", "1", "--log", log,
                    "--save", os.path.join(folder, "w.safetensors")],
                   check=True, capture_output=True)
    record = json.loads(open(log).readline())
    return record["seconds"], record["test_accuracy"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weftc", default="build/bin/weftc")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        exe = os.path.join(folder, "mlp")
        subprocess.run([args.weftc, "examples/mlp.weft", "-o", exe], check=True)
        runs = {"weft (1 thread)": lambda: weft_epoch(exe, folder),
                "torch (1 thread)": lambda: torch_epoch(1),
                f"torch ({CORES} threads)": lambda: torch_epoch(CORES)}
        best = {}
        for name, run in runs.items():
            times = [run() for _ in range(args.repeats)]
            best[name] = min(t for t, _ in times)
            print(f"{name:20s} best {best[name]:6.2f} s/epoch of {args.repeats}, "
                  f"test accuracy {times[0][1]:.4f}")
        weft = best["weft (1 thread)"]
        for name, seconds in best.items():
            if name.startswith("torch"):
                print(f"speed vs {name}: {seconds / weft:.2f}x "
                      f"({'faster' if seconds > weft else 'slower'})")


if __name__ == "__main__":
    main()
