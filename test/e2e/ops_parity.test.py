"""Gradients of activations, normalisation, pooling and losses against PyTorch.

Each case compiles a small model, runs one SGD step with lr 1 from random
weights on one batch (so new = old - gradient), and compares every
parameter's gradient with torch.autograd's for the same network: max
|g_weft - g_torch| / max |g_torch| must be at most 1e-4. Buffers (BatchNorm's
running statistics) must match what torch's training-mode forward leaves.

Dropout draws its own random numbers, so its case reads the mask back from
the compiled model's gradient (batch 1: a dropped unit leaves a zero column
in the next layer's weight gradient), checks that about `rate` of the units
were dropped, and then checks every gradient against torch with that mask.

Usage: ops_parity.test.py WORK_DIR
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import weft_testing as wt

TOLERANCE = 1e-4
BATCH = 6

ACTIVATIONS = """
model Activations {
  input image: f32[1, 5, 6]
  input label: one_hot(4)
  layer a = Dense(12, activation: sigmoid)
  layer b = Dense(11, activation: tanh)
  layer c = Dense(10, activation: gelu)
  layer d = Dense(9)
  layer e = Dense(8)
  layer f = Dense(7, activation: softmax)
  layer g = Dense(4)
  forward {
    h = c(b(a(flatten(image))))
    h = leaky_relu(d(h), negative_slope: 0.2)
    h = log_softmax(e(h))
    logits = g(f(h))
  }
  loss = cross_entropy(logits, label)
}
"""


def activations_torch(x, p, labels):
    h = x.flatten(1)
    h = torch.sigmoid(F.linear(h, p["a.weight"], p["a.bias"]))
    h = torch.tanh(F.linear(h, p["b.weight"], p["b.bias"]))
    h = F.gelu(F.linear(h, p["c.weight"], p["c.bias"]))
    h = F.leaky_relu(F.linear(h, p["d.weight"], p["d.bias"]), 0.2)
    h = F.log_softmax(F.linear(h, p["e.weight"], p["e.bias"]), dim=-1)
    h = F.softmax(F.linear(h, p["f.weight"], p["f.bias"]), dim=-1)
    logits = F.linear(h, p["g.weight"], p["g.bias"])
    target = F.one_hot(labels, 4).float()
    return F.cross_entropy(logits, target)


BINARY = """
model Binary {{
  input image: f32[1, 4, 5]
  input label: binary
  layer a = Dense(6, activation: relu)
  layer b = Dense(1{activation})
  forward {{
    out = b(a(flatten(image)))
  }}
  loss = binary_cross_entropy(out, label{from_logits})
}}
"""


def binary_torch(from_logits):
    def loss(x, p, labels):
        h = F.relu(F.linear(x.flatten(1), p["a.weight"], p["a.bias"]))
        out = F.linear(h, p["b.weight"], p["b.bias"])
        target = labels.float().unsqueeze(1)
        if from_logits:
            return F.binary_cross_entropy_with_logits(out, target)
        return F.binary_cross_entropy(torch.sigmoid(out), target)
    return loss


MSE = """
model Regression {
  input image: f32[1, 4, 5]
  input label: one_hot(4)
  layer a = Dense(4)
  forward {
    out = a(flatten(image))
  }
  loss = mse(out, label)
}
"""


def mse_torch(x, p, labels):
    out = F.linear(x.flatten(1), p["a.weight"], p["a.bias"])
    return F.mse_loss(out, F.one_hot(labels, 4).float())


NORMALIZATION = """
model Normalized {
  input image: f32[2, 9, 7]
  input label: class(3)
  layer conv = Conv2D(5, kernel: 3, padding: 1, use_bias: false)
  layer bn = BatchNorm2D(momentum: 0.3, eps: 0.001)
  layer mix = Conv2D(4, kernel: 2)
  layer fc = Dense(3)
  forward {
    h = relu(bn(conv(image)))
    logits = fc(global_avg_pool(mix(h)))
  }
  loss = cross_entropy(logits, label)
}
"""


def normalization_torch(x, p, labels, buffers):
    # No bias before batch normalisation: its gradient would be zero.
    h = F.conv2d(x, p["conv.weight"], None, padding=1)
    h = F.batch_norm(h, buffers["bn.running_mean"], buffers["bn.running_var"],
                     p["bn.weight"], p["bn.bias"], training=True,
                     momentum=0.3, eps=0.001).relu()
    h = F.conv2d(h, p["mix.weight"], p["mix.bias"]).mean((2, 3))
    return F.cross_entropy(F.linear(h, p["fc.weight"], p["fc.bias"]), labels)


DENSE_SHAPES = {
    "Activations": {"a": (12, 30), "b": (11, 12), "c": (10, 11), "d": (9, 10),
                    "e": (8, 9), "f": (7, 8), "g": (4, 7)},
    "Binary": {"a": (6, 20), "b": (1, 6)},
    "Regression": {"a": (4, 20)},
}


def dense_weights(shapes, rng):
    weights = {}
    for layer, (out, fan_in) in shapes.items():
        weights[f"{layer}.weight"] = rng.normal(0, 1 / np.sqrt(fan_in), (out, fan_in))
        weights[f"{layer}.bias"] = rng.normal(0, 0.3, (out,))
    return weights


def compare(name, weights, ours, params):
    """Checks new = old - grad for every parameter with a gradient."""
    return wt.check_errors(f"ops-parity {name}",
                           wt.gradient_errors(weights, ours, params), TOLERANCE)


def torch_params(weights, names):
    return {k: torch.tensor(weights[k], dtype=torch.float32, requires_grad=True)
            for k in names}


def run_dense_case(name, source, torch_loss, shape, classes, shapes, work, rng):
    folder = os.path.join(work, name)
    exe = wt.compile_model(source, folder, "m")
    images = rng.integers(0, 256, size=(BATCH,) + shape, dtype=np.uint8)
    labels = rng.integers(0, classes, size=BATCH)
    weights = {k: v.astype(np.float32) for k, v in dense_weights(shapes, rng).items()}
    ours = wt.sgd_step(exe, folder, images, labels, weights)
    params = torch_params(weights, weights.keys())
    x = torch.tensor(images, dtype=torch.float32) / 255.0
    torch_loss(x, params, torch.tensor(labels, dtype=torch.int64)).backward()
    return compare(name, weights, ours, params)


def run_normalization_case(work, rng):
    name = "batchnorm-gap"
    folder = os.path.join(work, name)
    exe = wt.compile_model(NORMALIZATION, folder, "m")
    images = rng.integers(0, 256, size=(BATCH, 2, 9, 7), dtype=np.uint8)
    labels = rng.integers(0, 3, size=BATCH)
    weights = {
        "conv.weight": rng.normal(0, 0.3, (5, 2, 3, 3)),
        "bn.weight": rng.normal(1, 0.3, (5,)),
        "bn.bias": rng.normal(0, 0.3, (5,)),
        "bn.running_mean": rng.normal(0, 0.3, (5,)),
        "bn.running_var": rng.uniform(0.5, 2, (5,)),
        "mix.weight": rng.normal(0, 0.3, (4, 5, 2, 2)),
        "mix.bias": rng.normal(0, 0.3, (4,)),
        "fc.weight": rng.normal(0, 0.5, (3, 4)),
        "fc.bias": rng.normal(0, 0.3, (3,)),
    }
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    ours = wt.sgd_step(exe, folder, images, labels, weights)
    buffer_names = ["bn.running_mean", "bn.running_var"]
    params = torch_params(weights, [k for k in weights if k not in buffer_names])
    buffers = {k: torch.tensor(weights[k]) for k in buffer_names}
    x = torch.tensor(images, dtype=torch.float32) / 255.0
    normalization_torch(x, params, torch.tensor(labels), buffers).backward()
    worst = compare(name, weights, ours, params)
    for k in buffer_names:
        after = {f"{k} after the step": wt.relative_error(ours[k], buffers[k].numpy())}
        worst = max(worst, wt.check_errors(f"ops-parity {name}", after, TOLERANCE))
    return worst


DROPOUT = """
model Dropped {
  input image: f32[1, 4, 5]
  input label: class(3)
  layer a = Dense(400)
  layer b = Dense(3)
  forward {
    logits = b(dropout(a(flatten(image)), 0.3))
  }
  loss = cross_entropy(logits, label)
}
"""


def run_dropout_case(work, rng):
    name = "dropout"
    folder = os.path.join(work, name)
    exe = wt.compile_model(DROPOUT, folder, "m")
    images = rng.integers(1, 256, size=(1, 1, 4, 5), dtype=np.uint8)
    labels = rng.integers(0, 3, size=1)
    weights = {k: v.astype(np.float32)
               for k, v in dense_weights({"a": (400, 20), "b": (3, 400)}, rng).items()}
    ours = wt.sgd_step(exe, folder, images, labels, weights)
    # With one example, b's weight gradient is dy^T h: a zero column is a
    # dropped unit of h.
    kept = np.abs(weights["b.weight"] - ours["b.weight"]).max(axis=0) > 0
    dropped = 1 - kept.mean()
    print(f"ops-parity {name}: dropped {dropped:.3f} of 400 units at rate 0.3")
    # Binomial(400, 0.3): the standard deviation of the fraction is 0.023.
    if abs(dropped - 0.3) > 0.1:
        sys.exit(f"ops-parity {name}: dropped {dropped:.3f} of the units, "
                 "expected about 0.3")
    params = torch_params(weights, weights.keys())
    x = torch.tensor(images, dtype=torch.float32) / 255.0
    mask = torch.tensor(kept, dtype=torch.float32) / 0.7
    h = F.linear(x.flatten(1), params["a.weight"], params["a.bias"]) * mask
    logits = F.linear(h, params["b.weight"], params["b.bias"])
    F.cross_entropy(logits, torch.tensor(labels)).backward()
    return compare(name, weights, ours, params)


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(11)
    worst = max(
        run_dense_case("activations-categorical", ACTIVATIONS, activations_torch,
                       (1, 5, 6), 4, DENSE_SHAPES["Activations"], work, rng),
        run_dense_case("binary-probabilities",
                       BINARY.format(activation=", activation: sigmoid", from_logits=""),
                       binary_torch(False), (1, 4, 5), 2, DENSE_SHAPES["Binary"],
                       work, rng),
        run_dense_case("binary-logits",
                       BINARY.format(activation="", from_logits=", from_logits: true"),
                       binary_torch(True), (1, 4, 5), 2, DENSE_SHAPES["Binary"],
                       work, rng),
        run_dense_case("mse", MSE, mse_torch, (1, 4, 5), 4,
                       DENSE_SHAPES["Regression"], work, rng),
        run_normalization_case(work, rng),
        run_dropout_case(work, rng),
    )
    print(f"ops-parity: PASSED, worst relative error {worst:.2e}")


if __name__ == "__main__":
    main()
