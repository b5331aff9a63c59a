#!/usr/bin/python3
"""`make bench`: Weft against PyTorch, training steps, same machine, same run.

For each reference example (fashion_cnn at batch 32, lenet at batch 64, mlp
at batch 32) this compiles the model with weftc (timing the compile), then
alternates Weft's `model bench` and bench/torch_step.py, each in its own
process, --repeats times, and prints a markdown table of the medians:
examples/s, their ratio, peak RSS and compile time. Both sides time the same
thing: --steps training steps (forward, backward, optimizer update) after
--warmup untimed ones, on Fashion-MNIST batches gathered into memory first.
Each thread count in --threads (default: 1 and every core) gets its own rows:
Weft runs with `--threads N`, PyTorch with torch.set_num_threads(N), and
OMP_NUM_THREADS and OPENBLAS_NUM_THREADS are N for both. PyTorch's BLAS is
whatever libblas.so.3 points to (OpenBLAS once libopenblas0-pthread is
installed, as scripts/install-deps.sh does); the table records it.

Usage: bench/run.py [--weftc build/bin/weftc] [--repeats 5] [--steps 200]
       [--warmup 20] [--only NAME] [--threads 1,2]
Run it on an otherwise idle machine. It is a benchmark, not a test.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# (example, batch): the batches issue 5 names.
MODELS = [("fashion_cnn", 32), ("lenet", 64), ("mlp", 32)]


def last_json(text):
    """The last line of `text` that is a JSON object."""
    for line in reversed(text.strip().split("\n")):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON result in:\n{text}")


def libblas_target():
    """The library behind libblas.so.3 (Debian's alternatives pick it)."""
    return os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")


def run(command, env=None):
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weftc", default=os.path.join(ROOT, "build/bin/weftc"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--only", choices=[m for m, _ in MODELS])
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}",
                    help="comma-separated thread counts (default: 1 and all cores)")
    args = ap.parse_args()
    thread_counts = sorted({int(t) for t in args.threads.split(",")})
    rows, torch_settings = [], None
    with tempfile.TemporaryDirectory() as folder:
        for name, batch in MODELS:
            if args.only and name != args.only:
                continue
            exe = os.path.join(folder, name)
            start = time.perf_counter()
            run([args.weftc, os.path.join(ROOT, "examples", f"{name}.weft"), "-o", exe])
            compile_seconds = time.perf_counter() - start
            steps = ["--batch", str(batch), "--steps", str(args.steps),
                     "--warmup", str(args.warmup)]
            for threads in thread_counts:
                # Every BLAS and OpenMP pool either side might start gets
                # the same count.
                env = dict(os.environ, OMP_NUM_THREADS=str(threads),
                           OPENBLAS_NUM_THREADS=str(threads))
                count = ["--threads", str(threads)]
                weft, torch = [], []
                for _ in range(args.repeats):  # A, B, A, B, ...: drift hits both.
                    weft.append(last_json(run([exe, "bench"] + steps + count, env)))
                    torch.append(last_json(run(
                        ["/usr/bin/python3", os.path.join(HERE, "torch_step.py"),
                         name] + count + steps, env)))
                torch_settings = torch[-1]["torch"]
                if torch_settings["threads"] != threads or any(
                        r["threads"] != threads for r in weft):
                    sys.exit(f"{name}: asked for {threads} thread(s), got Weft "
                             f"{weft[-1]['threads']}, PyTorch {torch_settings['threads']}")
                w = statistics.median(r["examples_per_second"] for r in weft)
                t = statistics.median(r["examples_per_second"] for r in torch)
                rows.append((name, batch, threads, w, t,
                             max(r["peak_rss_mib"] for r in weft),
                             max(r["peak_rss_mib"] for r in torch), compile_seconds))
                print(f"{name}, {threads} thread(s): weft {w:.0f}/s, torch {t:.0f}/s",
                      file=sys.stderr, flush=True)

    print(f"Training throughput, examples/s, median of {args.repeats} alternating "
          f"runs of {args.steps} steps after {args.warmup} warm-up\n")
    print("| model | batch | threads | Weft | PyTorch | Weft / PyTorch | "
          "Weft peak RSS | PyTorch peak RSS | weftc compile |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, batch, threads, w, t, wr, tr, c in rows:
        print(f"| {name} | {batch} | {threads} | {w:.0f} | {t:.0f} | {w / t:.2f}x | "
              f"{wr:.0f} MiB | {tr:.0f} MiB | {c:.1f} s |")
    print(f"\nPyTorch {torch_settings['version']}, BLAS {torch_settings['blas']} "
          f"(libblas.so.3 -> {torch_settings['libblas.so.3']}), "
          f"oneDNN {'on' if torch_settings['mkldnn'] else 'off'}; "
          f"CPU: {cpu_name()}, {os.cpu_count()} core(s)")


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


if __name__ == "__main__":
    main()
