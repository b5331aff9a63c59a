#!/usr/bin/python3
"""PyTorch's side of `make bench`: timed training steps, the protocol of `model bench`.

Builds the network of examples/<model>.weft, gathers a few batches of
Fashion-MNIST into memory, runs --warmup untimed steps then --steps timed ones
(zero_grad, forward, cross-entropy, backward, optimizer step), and prints one
JSON object: examples/s, peak RSS and the settings PyTorch ran with.

Usage: bench/torch_step.py mlp|lenet|fashion_cnn --batch N [--steps N]
       [--warmup N] [--threads N]
Run by bench/run.py, one process per measurement, so that RSS is its own.
"""

import argparse
import json
import os
import re
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "lib"))
from cnn_reference_torch import DATA, FashionCNN, LeNet  # noqa: E402
from run import libblas_target  # noqa: E402
from weft_testing import read_idx  # noqa: E402


class MLP(nn.Module):
    """examples/mlp.weft."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


# Network and optimizer of each model file's train block.
MODELS = {
    "mlp": (MLP, lambda p: torch.optim.Adam(p, lr=1e-3)),
    "lenet": (LeNet, lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9)),
    "fashion_cnn": (FashionCNN, lambda p: torch.optim.Adam(p, lr=1e-3)),
}


def settings():
    """What decides PyTorch's CPU speed, for the record."""
    config = torch.__config__.show()
    found = re.search(r"BLAS_INFO=([^,\s]+)", config)
    blas = found.group(1) if found else "unknown"
    return {"version": torch.__version__, "threads": torch.get_num_threads(),
            "blas": blas, "libblas.so.3": libblas_target(),
            "mkldnn": torch.backends.mkldnn.is_available()}


def load_batches(data, batch, device="cpu"):
    """Eight batches of the training split, as bench's `--batch` gathers them."""
    images = read_idx(f"{data}/train-images-idx3-ubyte.gz")
    labels = read_idx(f"{data}/train-labels-idx1-ubyte.gz")
    batches = []
    for b in range(8):
        rows = slice(b * batch, (b + 1) * batch)
        batches.append(((torch.tensor(images[rows], dtype=torch.float32)
                         .unsqueeze(1) / 255.0).to(device),
                        torch.tensor(labels[rows], dtype=torch.int64).to(device)))
    return batches


def training_step(forward, optimizer, batches):
    """step(s): one optimizer step on batch s (cycling), returning the loss."""
    def step(s):
        x, y = batches[s % len(batches)]
        optimizer.zero_grad()
        loss = F.cross_entropy(forward(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    batches = load_batches(DATA, args.batch)
    net_class, make_optimizer = MODELS[args.model]
    model = net_class()
    optimizer = make_optimizer(model.parameters())
    step = training_step(model, optimizer, batches)

    for s in range(args.warmup):
        step(s)
    start = time.perf_counter()
    for s in range(args.warmup, args.warmup + args.steps):
        step(s)
    seconds = time.perf_counter() - start
    print(json.dumps({
        "model": args.model, "batch": args.batch, "steps": args.steps,
        "seconds": seconds, "examples_per_second": args.steps * args.batch / seconds,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": settings()}))


if __name__ == "__main__":
    main()
