"""Gradients of conv2d, max_pool2d and avg_pool2d against PyTorch.

Each case compiles a small CNN, writes random weights, runs one SGD step with
lr 1 (so new = old - gradient) on one batch, and compares the gradient with
torch.autograd's for the same network: max |g_weft - g_torch| / max |g_torch|
per parameter must be at most 1e-4.

Usage: conv_parity.test.py WORK_DIR
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import weft_testing as wt

TOLERANCE = 1e-4
BATCH = 5

# name: input [C, H, W], classes, conv (filters, kernel, stride, padding,
# dilation, groups), max pool (size, stride, padding), avg pool (size,
# stride, padding). Paddings are [height, width], PyTorch's symmetric form.
CASES = {
    "strided-padded": ((3, 13, 11), 4, (6, (3, 3), (2, 2), (1, 1), (1, 1), 1),
                       ((3, 3), (2, 2), (1, 1)), ((2, 2), (1, 1), (0, 0))),
    "dilated-grouped": ((4, 15, 14), 3, (6, (3, 2), (1, 2), (2, 0), (2, 1), 2),
                        ((2, 3), (2, 1), (1, 1)), ((3, 2), (2, 2), (1, 0))),
    "same-avg": ((2, 9, 10), 5, (3, (5, 5), (1, 1), (2, 2), (1, 1), 1),
                 ((2, 2), (2, 2), (0, 0)), ((3, 3), (3, 3), (1, 1))),
    # Pools whose windows tile the input (stride = kernel, no padding), with
    # a row and a column past the last whole window: 9x10 -> 3x3 -> 1x1.
    "tiling-windows": ((2, 11, 12), 3, (4, (3, 3), (1, 1), (0, 0), (1, 1), 1),
                       ((3, 3), (3, 3), (0, 0)), ((2, 2), (2, 2), (0, 0))),
    # Weight gradients that weft-transpose-for-lanes computes with the
    # output channels as lanes (16 a group): lenet's conv2, and a grouped
    # convolution.
    "channel-lanes": ((6, 14, 14), 10, (16, (5, 5), (1, 1), (0, 0), (1, 1), 1),
                      ((2, 2), (2, 2), (0, 0)), ((1, 1), (1, 1), (0, 0))),
    "channel-lanes-grouped": ((16, 12, 12), 4,
                              (32, (3, 3), (1, 1), (0, 0), (1, 1), 2),
                              ((2, 2), (2, 2), (0, 0)),
                              ((2, 2), (1, 1), (0, 0))),
}


def pair(values):
    return f"[{values[0]}, {values[1]}]"


def weft_source(shape, classes, conv, maxpool, avgpool):
    filters, kernel, stride, padding, dilation, groups = conv
    return f"""
model P {{
  input image: f32[{shape[0]}, {shape[1]}, {shape[2]}]
  input label: class({classes})
  layer conv = Conv2D({filters}, kernel: {pair(kernel)}, stride: {pair(stride)},
                      padding: {pair(padding)}, dilation: {pair(dilation)},
                      groups: {groups}, activation: relu)
  layer mix = Conv2D(4, kernel: 2, padding: 1)
  layer fc = Dense({classes})
  forward {{
    x = max_pool(conv(image), {pair(maxpool[0])}, stride: {pair(maxpool[1])},
                 padding: {pair(maxpool[2])})
    y = avg_pool(mix(x), {pair(avgpool[0])}, stride: {pair(avgpool[1])},
                 padding: {pair(avgpool[2])})
    logits = fc(flatten(y))
  }}
  loss = cross_entropy(logits, label)
}}
"""


def torch_features(x, weights, conv, maxpool, avgpool):
    _, _, stride, padding, dilation, groups = conv
    x = F.conv2d(x, weights["conv.weight"], weights["conv.bias"], stride,
                 padding, dilation, groups).relu()
    x = F.max_pool2d(x, maxpool[0], maxpool[1], maxpool[2])
    # A second convolution makes the first one's input gradient count.
    x = F.conv2d(x, weights["mix.weight"], weights["mix.bias"], 1, 1)
    return F.avg_pool2d(x, avgpool[0], avgpool[1], avgpool[2])


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(7)
    worst = 0.0
    for name, (shape, classes, conv, maxpool, avgpool) in CASES.items():
        folder = os.path.join(work, name)
        exe = wt.compile_model(weft_source(shape, classes, conv, maxpool, avgpool),
                               folder, "p")
        images = rng.integers(0, 256, size=(BATCH,) + shape, dtype=np.uint8)
        labels = rng.integers(0, classes, size=BATCH, dtype=np.uint8)

        filters, kernel, _, _, _, groups = conv
        weights = {
            "conv.weight": rng.normal(0, 0.3, (filters, shape[0] // groups) + kernel),
            "conv.bias": rng.normal(0, 0.3, (filters,)),
            "mix.weight": rng.normal(0, 0.3, (4, filters, 2, 2)),
            "mix.bias": rng.normal(0, 0.3, (4,)),
        }
        x = torch.tensor(images, dtype=torch.float32) / 255.0
        torch_weights = {k: torch.tensor(v, dtype=torch.float32) for k, v in weights.items()}
        features = torch_features(x, torch_weights, conv, maxpool, avgpool).flatten(1).shape[1]
        weights["fc.weight"] = rng.normal(0, 0.3, (classes, features))
        weights["fc.bias"] = rng.normal(0, 0.3, (classes,))
        weights = {k: v.astype(np.float32) for k, v in weights.items()}
        ours = wt.sgd_step(exe, folder, images, labels, weights)

        params = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
        logits = F.linear(torch_features(x, params, conv, maxpool, avgpool).flatten(1),
                          params["fc.weight"], params["fc.bias"])
        F.cross_entropy(logits, torch.tensor(labels, dtype=torch.int64)).backward()
        worst = max(worst, wt.check_errors(f"conv-parity {name}",
                                           wt.gradient_errors(weights, ours, params),
                                           TOLERANCE))
    print(f"conv-parity: PASSED, worst relative error {worst:.2e}")


if __name__ == "__main__":
    main()
