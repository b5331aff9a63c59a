"""Asserts that a --log file shows learning.

Usage: check_learning.py LOG.jsonl EPOCHS MIN_ACCURACY
"""
import json
import sys

records = [json.loads(line) for line in open(sys.argv[1])]
epochs, min_accuracy = int(sys.argv[2]), float(sys.argv[3])
assert len(records) == epochs, f"expected {epochs} epochs, got {len(records)}"
for key in ("epoch", "steps", "train_loss", "test_loss", "test_accuracy", "seconds"):
    assert all(key in r for r in records), f"missing {key}"
losses = [r["train_loss"] for r in records]
assert all(a > b for a, b in zip(losses, losses[1:])), f"loss did not fall: {losses}"
final = records[-1]["test_accuracy"]
assert final >= min_accuracy, f"test accuracy {final} < {min_accuracy}"
print(f"learning: train loss {losses}, test accuracy {final}")
