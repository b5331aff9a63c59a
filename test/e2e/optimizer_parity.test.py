"""Optimizers, learning-rate schedules and gradient clipping against PyTorch.

Each case compiles a small MLP whose train block sets the optimizer, the
schedule and the clipping, trains it for a few steps from given weights on
batches in file order, and compares the weights with torch.optim's after the
same steps (torch.optim.SGD with Nesterov momentum, Adam, AdamW;
CosineAnnealingLR and StepLR; Hugging Face's linear warmup and decay as a
LambdaLR; torch.nn.utils.clip_grad_norm_). The largest difference relative
to the largest weight change must be at most 1e-3.

Usage: optimizer_parity.test.py WORK_DIR
"""

import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

import weft_testing as wt

TOLERANCE = 1e-3
BATCH = 4

MODEL = """
model Mlp {{
  input image: f32[1, 4, 5]
  input label: class(3)
  layer fc1 = Dense(8, activation: relu)
  layer fc2 = Dense(3)
  forward {{
    logits = fc2(fc1(flatten(image)))
  }}
  loss = cross_entropy(logits, label)
}}
train Mlp {{
  {settings}
}}
"""


def linear_warmup(warmup, total):
    """transformers.get_linear_schedule_with_warmup's multiplier."""
    def factor(step):
        if step < warmup:
            return step / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))
    return factor


# name: train-block settings, epochs, batches per epoch, torch optimizer,
# scheduler (given the optimizer and the total steps; None for constant,
# and whether it steps per epoch), clip norm (None for no clipping).
CASES = {
    "sgd-nesterov-cosine-clip": (
        """optimizer = sgd(lr: 0.1, momentum: 0.9, weight_decay: 0.01, nesterov: true)
  schedule = cosine(min_lr: 0.01)
  clip_norm = 0.5""",
        1, 4,
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
        lambda o, total: (torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total, eta_min=0.01), False),
        0.5),
    "adamw-linear-warmup": (
        """optimizer = adamw(lr: 0.01, weight_decay: 0.1)
  schedule = linear(warmup: 2)""",
        1, 5,
        lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
        lambda o, total: (torch.optim.lr_scheduler.LambdaLR(o, linear_warmup(2, total)), False),
        None),
    "adam-step-clip": (
        """optimizer = adam(lr: 0.01, weight_decay: 0.001)
  schedule = step(every: 1, gamma: 0.5)
  clip_norm = 1.0""",
        2, 2,
        lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.001),
        lambda o, total: (torch.optim.lr_scheduler.StepLR(o, step_size=1, gamma=0.5), True),
        1.0),
}


def torch_forward(x, p):
    h = F.relu(F.linear(x.flatten(1), p["fc1.weight"], p["fc1.bias"]))
    return F.linear(h, p["fc2.weight"], p["fc2.bias"])


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(5)
    worst = 0.0
    for name, (settings, epochs, batches, make_opt, make_sched, clip) in CASES.items():
        folder = os.path.join(work, name)
        exe = wt.compile_model(MODEL.format(settings=settings), folder, "m")
        count = BATCH * batches
        images = rng.integers(0, 256, size=(count, 1, 4, 5), dtype=np.uint8)
        labels = rng.integers(0, 3, size=count)
        weights = {
            "fc1.weight": rng.normal(0, 0.5, (8, 20)), "fc1.bias": rng.normal(0, 0.3, (8,)),
            "fc2.weight": rng.normal(0, 0.5, (3, 8)), "fc2.bias": rng.normal(0, 0.3, (3,)),
        }
        weights = {k: v.astype(np.float32) for k, v in weights.items()}
        data = os.path.join(folder, "data")
        wt.write_dataset(data, images.reshape(count, -1), labels.astype(np.uint8),
                         images.reshape(count, -1), labels.astype(np.uint8))
        init = os.path.join(folder, "w0.safetensors")
        wt.write_safetensors(init, weights)
        out = os.path.join(folder, "w1.safetensors")
        wt.run([exe, "train", "--data", data, "--init", init, "--save", out,
                "--batch", str(BATCH), "--no-shuffle", "--epochs", str(epochs)])
        ours = wt.read_safetensors(out)

        params = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
        opt = make_opt(list(params.values()))
        sched, per_epoch = make_sched(opt, epochs * batches)
        x_all = torch.tensor(images, dtype=torch.float32) / 255.0
        y_all = torch.tensor(labels, dtype=torch.int64)
        for _ in range(epochs):
            for b in range(batches):
                sl = slice(b * BATCH, (b + 1) * BATCH)
                opt.zero_grad()
                F.cross_entropy(torch_forward(x_all[sl], params), y_all[sl]).backward()
                if clip is not None:
                    torch.nn.utils.clip_grad_norm_(list(params.values()), clip)
                opt.step()
                if not per_epoch:
                    sched.step()
            if per_epoch:
                sched.step()
        errors = {}
        for k, p in params.items():
            expected = p.detach().numpy()
            change = max(np.abs(expected - weights[k]).max(), 1e-12)
            errors[k] = float(np.abs(ours[k] - expected).max() / change)
        worst = max(worst, wt.check_errors(f"optimizer-parity {name}", errors,
                                           TOLERANCE, "fraction of the change"))
    print(f"optimizer-parity: PASSED, worst {worst:.2e} of the change")


if __name__ == "__main__":
    main()
