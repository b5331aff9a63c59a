"""Compares the parameters weftc declares with PyTorch's reference modules.

For each example model, the names, order and shapes of the `weft.parameter`
declarations in `weftc --emit=weft` must equal the torch module's
state_dict, so that a PyTorch checkpoint of the reference network loads
as is; and the model's output shape must match the module's.

Usage: reference_shapes.py EXAMPLES_DIR
"""
import re
import subprocess
import sys

import torch
from torch import nn


def lenet(in_channels, pad):
    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=pad)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
            x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
            return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))
    return LeNet()


class FashionCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.fc1 = nn.Linear(64 * 5 * 5, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


class MedicalCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.conv3 = nn.Conv2d(64, 128, 3)
        self.fc1 = nn.Linear(128 * 14 * 14, 256)
        self.fc2 = nn.Linear(256, 1)

    def forward(self, x):
        for conv in (self.conv1, self.conv2, self.conv3):
            x = nn.functional.max_pool2d(torch.relu(conv(x)), 2)
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(torch.flatten(x, 1)))))


MODELS = {
    "medical_cnn": (MedicalCNN(), (3, 128, 128)),
    "fashion_cnn": (FashionCNN(), (1, 28, 28)),
    "lenet": (lenet(1, 2), (1, 28, 28)),
    "lenet_cifar": (lenet(3, 0), (3, 32, 32)),
}


def main():
    examples = sys.argv[1]
    for name, (module, shape) in MODELS.items():
        ir = subprocess.run(["weftc", f"{examples}/{name}.weft", "--emit=weft"],
                            check=True, capture_output=True, text=True).stdout
        ours = [(m.group(1), [int(d) for d in m.group(2).split("x")])
                for m in re.finditer(r"weft\.parameter @([\w.]+) : tensor<([\dx]+)xf32>", ir)]
        theirs = [(k, list(v.shape)) for k, v in module.state_dict().items()]
        if ours != theirs:
            sys.exit(f"{name}: parameters differ\n  weft:  {ours}\n  torch: {theirs}")
        out = re.search(r"func\.func @forward\(%arg0: tensor<\?x[\dx]+xf32>\) -> tensor<\?x(\d+)xf32>", ir)
        expected = module(torch.zeros((2,) + shape)).shape[1]
        if not out or int(out.group(1)) != expected:
            sys.exit(f"{name}: output differs from torch's {expected}")
        print(f"{name}: {len(ours)} parameters and the output match torch")


if __name__ == "__main__":
    main()
