"""Checks that two `eval` outputs report the same loss and accuracy, within a
tolerance: the same weights evaluated by builds for different targets, whose
float rounding differs in the last bits.

Usage: same_metrics.py TOLERANCE A.txt B.txt
"""
import re
import sys

tolerance, paths = float(sys.argv[1]), sys.argv[2:]


def metrics(path):
    with open(path) as f:
        first = f.readline()
    found = dict(re.findall(r"(\w+) (-?[0-9.]+(?:e-?[0-9]+)?)", first))
    if "test_loss" not in found:
        sys.exit(f"{path}: no test_loss in '{first.strip()}'")
    return {k: float(v) for k, v in found.items()}


first, second = (metrics(p) for p in paths)
if sorted(first) != sorted(second):
    sys.exit(f"{paths[1]} reports {sorted(second)}, {paths[0]} {sorted(first)}")
for name, value in first.items():
    if abs(value - second[name]) > tolerance:
        sys.exit(f"{name}: {value} in {paths[0]}, {second[name]} in {paths[1]}")
print("same metrics: " + ", ".join(f"{k} {v:g}" for k, v in first.items()))
