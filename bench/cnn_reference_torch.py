#!/usr/bin/python3
"""The CNN reference recipes trained in PyTorch, for the accuracy Weft must match.

Trains examples/lenet.weft's or examples/fashion_cnn.weft's network with the
same recipe as the model file (same layers, PyTorch's default initialisation,
same optimizer, batch and epochs, shuffled Fashion-MNIST, inputs scaled to
[0, 1]) and prints the test accuracy after every epoch, so that docs can set
PyTorch's figure beside Weft's, both measured on this machine.

Usage: bench/cnn_reference_torch.py lenet|fashion_cnn [--epochs N] [--lr X]
       [--threads N] [--seed N]
It is a reference run, not a test: 10 epochs take minutes to an hour.
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# IDX files are read by the test helpers' reader (test/lib/weft_testing.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "test", "lib"))
from weft_testing import read_idx  # noqa: E402


DATA = "/usr/share/datasets/fashion-mnist"


class LeNet(nn.Module):
    """examples/lenet.weft."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x.flatten(1))))))


class FashionCNN(nn.Module):
    """examples/fashion_cnn.weft."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(1600, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


# The train blocks of the model files.
RECIPES = {
    "lenet": dict(net=LeNet, opt="sgd", lr=1e-3, momentum=0.9, batch=4, epochs=10),
    "fashion_cnn": dict(net=FashionCNN, opt="adam", lr=1e-3, batch=32, epochs=10),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=sorted(RECIPES))
    ap.add_argument("--epochs", type=int)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    r = dict(RECIPES[args.model])
    epochs = args.epochs or r["epochs"]
    lr = args.lr or r["lr"]
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    x = torch.tensor(read_idx(f"{DATA}/train-images-idx3-ubyte.gz"),
                     dtype=torch.float32).unsqueeze(1) / 255.0
    y = torch.tensor(read_idx(f"{DATA}/train-labels-idx1-ubyte.gz"), dtype=torch.int64)
    tx = torch.tensor(read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz"),
                      dtype=torch.float32).unsqueeze(1) / 255.0
    ty = torch.tensor(read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz"), dtype=torch.int64)
    model = r["net"]()
    if r["opt"] == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=r["momentum"])
    else:
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    print(f"torch {torch.__version__}, {args.threads} thread(s): {args.model} "
          f"{r['opt']} lr {lr}, batch {r['batch']}, {epochs} epochs", flush=True)
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), r["batch"]):
            idx = order[i:i + r["batch"]]
            opt.zero_grad()
            F.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            correct = sum((model(tx[i:i + 1000]).argmax(1) == ty[i:i + 1000]).sum().item()
                          for i in range(0, len(tx), 1000))
        print(f"epoch {epoch}/{epochs}: test_accuracy {correct / len(tx):.4f} "
              f"({time.perf_counter() - start:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
