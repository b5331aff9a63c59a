#!/usr/bin/python3
"""PyTorch's side of bench/gpu/run.sh: timed training steps on a GPU.

The protocol of `model bench --device cuda`: a few batches of Fashion-MNIST
held on the GPU, --warmup untimed steps, then --steps timed ones (zero_grad,
forward, cross-entropy, backward, optimizer step), the clock read after the
GPU has finished. Eager mode, or torch.compile with --compile.

Usage: bench/gpu/torch_gpu_step.py mlp|fashion_cnn --batch N --data DIR
       [--steps N] [--warmup N] [--compile]
"""

import argparse
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from torch_step import MODELS, load_batches, training_step  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--compile", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(0)
    device = torch.device("cuda")
    batches = load_batches(args.data, args.batch, device)
    net_class, make_optimizer = MODELS[args.model]
    model = net_class().to(device)
    optimizer = make_optimizer(model.parameters())
    forward = torch.compile(model) if args.compile else model
    step = training_step(forward, optimizer, batches)

    for s in range(args.warmup):
        step(s)
    torch.cuda.synchronize()
    start = time.perf_counter()
    for s in range(args.warmup, args.warmup + args.steps):
        step(s)
    torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    print(json.dumps({
        "model": args.model, "batch": args.batch, "steps": args.steps,
        "mode": "compile" if args.compile else "eager", "seconds": seconds,
        "examples_per_second": args.steps * args.batch / seconds,
        "torch": torch.__version__, "device": torch.cuda.get_device_name()}))


if __name__ == "__main__":
    main()
