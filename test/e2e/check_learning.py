"""Asserts that a --log file shows learning, and that its closing test
report agrees with itself.

Usage: check_learning.py LOG.jsonl EPOCHS MIN_ACCURACY
"""
import json
import sys

import numpy as np

lines = [json.loads(line) for line in open(sys.argv[1])]
records = [r for r in lines if "epoch" in r]
reports = [r for r in lines if "classification_report" in r]
epochs, min_accuracy = int(sys.argv[2]), float(sys.argv[3])
assert len(records) == epochs, f"expected {epochs} epochs, got {len(records)}"
for key in ("epoch", "steps", "train_loss", "test_loss", "test_accuracy", "seconds"):
    assert all(key in r for r in records), f"missing {key}"
losses = [r["train_loss"] for r in records]
assert all(a > b for a, b in zip(losses, losses[1:])), f"loss did not fall: {losses}"
final = records[-1]["test_accuracy"]
assert final >= min_accuracy, f"test accuracy {final} < {min_accuracy}"

# The test report closes the log: its accuracy is the last epoch's, and its
# per-class scores are those of its confusion matrix (sklearn's definitions).
assert len(reports) == 1 and lines[-1] is reports[0], "no closing test report"
report, cm = reports[0]["classification_report"], np.array(reports[0]["confusion_matrix"])
assert abs(reports[0]["test_accuracy"] - final) < 1e-6
assert abs(report["accuracy"] - np.trace(cm) / cm.sum()) < 1e-9
for c, name in enumerate(reports[0]["classes"]):
    precision = cm[c, c] / max(cm[:, c].sum(), 1)
    recall = cm[c, c] / max(cm[c, :].sum(), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0
    row = report[name]
    assert abs(row["precision"] - precision) < 1e-9, (name, row, precision)
    assert abs(row["recall"] - recall) < 1e-9 and abs(row["f1-score"] - f1) < 1e-9
    assert row["support"] == cm[c, :].sum()
print(f"learning: train loss {losses}, test accuracy {final}")
