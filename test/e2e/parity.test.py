"""Weft's training steps against PyTorch's, from the same weights and batches.

For several model shapes and optimizer settings: write random initial weights,
train the compiled model for a few steps with --init, --no-shuffle and a fixed
batch, do the same steps in PyTorch, and compare the weights. The error of a
tensor is max|w_weft - w_torch| / max|w_torch - w_0|: relative to how far the
optimizer moved it, which is stricter than relative to the weights. For Adam,
elements whose gradient is not well above eps (|g| < 100 eps at some step) are
left out: there the update g / (|g| + eps) amplifies float rounding by design.

Usage: parity_with_torch.py WORK_DIR
"""

import os
import sys

import numpy as np
import torch

import weft_testing as wt

TOLERANCE = 1e-4
STEPS = 3
BATCH = 8

# Each model: its .weft text, per-example input shape, classes, and the layer
# list (name, in, out, bias, relu) that the torch model mirrors.
MODELS = {
    "mlp": ("""
model Mlp {
  input image: f32[1, 28, 28]
  input label: class(10)
  layer fc1 = Dense(32, activation: relu)
  layer fc2 = Dense(10)
  forward {
    x = flatten(image)
    logits = fc2(fc1(x))
  }
  loss = cross_entropy(logits, label)
}
""", (1, 28, 28), 10, [("fc1", 784, 32, True, True), ("fc2", 32, 10, True, False)]),
    "deep": ("""
model Deep(classes: int = 4) {
  input x: f32[3, 4, 5]
  input y: class(classes)
  layer a = Dense(7, activation: relu)
  layer b = Dense(5, activation: relu, use_bias: false)
  layer c = Dense(classes)
  forward {
    out = c(b(a(flatten(x))))
  }
  loss = cross_entropy(out, y)
}
""", (3, 4, 5), 4, [("a", 60, 7, True, True), ("b", 7, 5, False, True),
                    ("c", 5, 4, True, False)]),
    "linear": ("""
model Linear {
  input v: f32[6]
  input k: class(3)
  layer only = Dense(3)
  forward {
    scores = only(v)
  }
  loss = cross_entropy(scores, k)
}
""", (6,), 3, [("only", 6, 3, True, False)]),
}

OPTIMIZERS = [
    ("sgd", dict(lr=0.1, momentum=0.0, weight_decay=0.0)),
    ("sgd", dict(lr=0.05, momentum=0.9, weight_decay=0.01)),
    ("adam", dict(lr=1e-3, weight_decay=0.0)),
    ("adam", dict(lr=1e-2, weight_decay=0.1)),
]


class TorchModel(torch.nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.spec = layers
        for name, fan_in, fan_out, bias, _ in layers:
            self.add_module(name, torch.nn.Linear(fan_in, fan_out, bias=bias))

    def forward(self, x):
        x = torch.flatten(x, 1)
        for name, _, _, _, relu in self.spec:
            x = getattr(self, name)(x)
            if relu:
                x = torch.relu(x)
        return x


def torch_steps(layers, weights, images, labels, optimizer, options):
    model = TorchModel(layers)
    model.load_state_dict({k: torch.tensor(v) for k, v in weights.items()})
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), **options)
    else:
        opt = torch.optim.Adam(model.parameters(), **options)
    small_grad = {k: np.zeros(v.shape, dtype=bool) for k, v in weights.items()}
    for step in range(STEPS):
        x = torch.tensor(images[step * BATCH:(step + 1) * BATCH], dtype=torch.float32) / 255.0
        y = torch.tensor(labels[step * BATCH:(step + 1) * BATCH], dtype=torch.int64)
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        for name, p in model.named_parameters():
            small_grad[name] |= p.grad.abs().numpy() < 100 * 1e-8
        opt.step()
    return {k: v.detach().numpy() for k, v in model.state_dict().items()}, small_grad


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(1234)
    worst = 0.0
    for name, (source, shape, classes, layers) in MODELS.items():
        folder = os.path.join(work, name)
        exe = wt.compile_model(source, folder, name)
        count = STEPS * BATCH
        images = rng.integers(0, 256, size=(count,) + shape, dtype=np.uint8)
        labels = rng.integers(0, classes, size=count, dtype=np.uint8)
        # The loader checks values per example, so one flat row each will do.
        idx_images = images.reshape(count, -1)
        data = os.path.join(folder, "data")
        wt.write_dataset(data, idx_images, labels, idx_images, labels)
        weights = {}
        for lname, fan_in, fan_out, bias, _ in layers:
            weights[lname + ".weight"] = rng.normal(0, 0.3, (fan_out, fan_in)).astype(np.float32)
            if bias:
                weights[lname + ".bias"] = rng.normal(0, 0.3, (fan_out,)).astype(np.float32)
        init = os.path.join(folder, "w0.safetensors")
        wt.write_safetensors(init, weights)

        for optimizer, options in OPTIMIZERS:
            out = os.path.join(folder, "w1.safetensors")
            args = [exe, "train", "--data", data, "--init", init, "--save", out,
                    "--steps", str(STEPS), "--batch", str(BATCH), "--no-shuffle",
                    "--epochs", "1", "--optimizer", optimizer,
                    "--lr", str(options["lr"]),
                    "--weight-decay", str(options["weight_decay"])]
            if optimizer == "sgd":
                args += ["--momentum", str(options["momentum"])]
            wt.run(args)
            ours = wt.read_safetensors(out)
            theirs, small_grad = torch_steps(layers, weights, images, labels,
                                             optimizer, options)
            for pname, expected in theirs.items():
                keep = ~small_grad[pname] if optimizer == "adam" else np.ones(expected.shape, bool)
                moved = np.abs(expected - weights[pname])[keep].max(initial=0.0)
                error = np.abs(ours[pname] - expected)[keep].max(initial=0.0)
                relative = error / max(moved, 1e-12)
                worst = max(worst, relative)
                status = "ok" if relative <= TOLERANCE else "MISMATCH"
                print(f"{name} {optimizer} {options}: {pname} "
                      f"relative error {relative:.2e} ({keep.sum()} of {keep.size} "
                      f"elements) {status}")
                if relative > TOLERANCE:
                    sys.exit(f"parity failed for {name}/{pname} with {optimizer}")
    print(f"parity: PASSED, worst relative error {worst:.2e}")


if __name__ == "__main__":
    main()
