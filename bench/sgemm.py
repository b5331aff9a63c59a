#!/usr/bin/python3
"""Weft's generated matmul against OpenBLAS's sgemm, GFLOP/s, same machine.

C[m, n] = sum_k A[m, k] * B[k, n] in float32, row-major, for n = 256, 512
and 1024. Weft's side is the kernel its CPU pipeline makes of that
multiply-accumulate: this script writes it as a `linalg.generic` on tensors,
the form Weft's lowering gives dense layers, inside a function with flat
memref arguments like Weft's entry points, and lowers it with
`weft-opt --weft-linalg-to-llvm-pipeline` (exactly the passes weftc runs),
then LLVM's `opt -O3` and `llc -O3` for the host CPU, into a shared library
that ctypes calls. OpenBLAS's side is numpy.matmul, whose libblas.so.3 is
OpenBLAS (pthread build) once scripts/install-deps.sh has run; the
library's path is printed.

Each (size, threads) pair alternates the two sides, each in its own process,
--repeats times and prints the medians as a markdown table with the ratio.
OpenBLAS runs with OPENBLAS_NUM_THREADS set, Weft's generated code with
OMP_NUM_THREADS (its blocks are an OpenMP loop, run by LLVM's libomp), both
to the same count.

Usage: bench/sgemm.py [--weft-opt build/bin/weft-opt] [--sizes 256,512,1024]
       [--threads 1,2] [--repeats 3]
A benchmark, not a test: run it on an otherwise idle machine.
"""

import argparse
import ctypes
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from run import last_json, libblas_target, run  # noqa: E402
LLVM_BIN = "/usr/lib/llvm-22/bin"


def matmul_mlir(n):
    """An n x n x n matmul as Weft lowers it: tensors read from flat buffers,
    a zero-filled accumulator, the result written into the output buffer."""
    return f"""
#a = affine_map<(m, n, k) -> (m, k)>
#b = affine_map<(m, n, k) -> (k, n)>
#c = affine_map<(m, n, k) -> (m, n)>
func.func @sgemm(%a: memref<{n * n}xf32>, %b: memref<{n * n}xf32>,
                 %c: memref<{n * n}xf32>) attributes {{llvm.emit_c_interface}} {{
  %fa = bufferization.to_tensor %a restrict : memref<{n * n}xf32> to tensor<{n * n}xf32>
  %fb = bufferization.to_tensor %b restrict : memref<{n * n}xf32> to tensor<{n * n}xf32>
  %ta = tensor.expand_shape %fa [[0, 1]] output_shape [{n}, {n}] : tensor<{n * n}xf32> into tensor<{n}x{n}xf32>
  %tb = tensor.expand_shape %fb [[0, 1]] output_shape [{n}, {n}] : tensor<{n * n}xf32> into tensor<{n}x{n}xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<{n}x{n}xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<{n}x{n}xf32>) -> tensor<{n}x{n}xf32>
  %r = linalg.generic {{indexing_maps = [#a, #b, #c],
      iterator_types = ["parallel", "parallel", "reduction"]}}
      ins(%ta, %tb : tensor<{n}x{n}xf32>, tensor<{n}x{n}xf32>)
      outs(%init : tensor<{n}x{n}xf32>) {{
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y fastmath<reassoc,contract> : f32
    %s = arith.addf %acc, %p fastmath<reassoc,contract> : f32
    linalg.yield %s : f32
  }} -> tensor<{n}x{n}xf32>
  %flat = tensor.collapse_shape %r [[0, 1]] : tensor<{n}x{n}xf32> into tensor<{n * n}xf32>
  bufferization.materialize_in_destination %flat in restrict writable %c
      : (tensor<{n * n}xf32>, memref<{n * n}xf32>) -> ()
  return
}}
"""


def build(weft_opt, n, workdir):
    """Compiles the matmul for the host into lib<n>.so; returns its path."""
    base = os.path.join(workdir, f"sgemm{n}")
    with open(base + ".mlir", "w") as f:
        f.write(matmul_mlir(n))
    run([weft_opt, base + ".mlir", "--weft-linalg-to-llvm-pipeline",
           "-o", base + ".llvm.mlir"])
    run([f"{LLVM_BIN}/mlir-translate", "--mlir-to-llvmir",
           base + ".llvm.mlir", "-o", base + ".ll"])
    run([f"{LLVM_BIN}/opt", "-O3", "-mcpu=native", base + ".ll",
           "-o", base + ".bc"])
    run([f"{LLVM_BIN}/llc", "-O3", "-mcpu=native", "-filetype=obj",
           "-relocation-model=pic", base + ".bc", "-o", base + ".o"])
    # Blocks run on OpenMP's threads (LLVM's libomp), OMP_NUM_THREADS of them;
    # temporaries come from the runtime's cache (runtime/Temporaries.cpp),
    # the only member of the runtime library the kernel needs.
    runtime = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(weft_opt))),
                           "lib", "libweft_runtime.a")
    run(["cc", "-shared", base + ".o", runtime, "-o", base + ".so",
         "-lstdc++", "-lomp"])
    return base + ".so"


class MemRef1D(ctypes.Structure):
    _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                ("offset", ctypes.c_int64), ("size", ctypes.c_int64),
                ("stride", ctypes.c_int64)]


def descriptor(array):
    pointer = array.ctypes.data
    return MemRef1D(pointer, pointer, 0, array.size, 1)


def time_side(side, n, library, seconds):
    """Runs in a child process: GFLOP/s of one side, and a checksum."""
    import numpy as np
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.zeros((n, n), dtype=np.float32)
    if side == "weft":
        fn = ctypes.CDLL(library)._mlir_ciface_sgemm
        da, db, dc = descriptor(a), descriptor(b), descriptor(c)
        call = lambda: fn(ctypes.byref(da), ctypes.byref(db), ctypes.byref(dc))
    else:
        call = lambda: np.matmul(a, b, out=c)
    call()  # Warm-up, and the result to check.
    error = float(np.max(np.abs(c - a.astype(np.float64) @ b)))
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or len(times) < 3:
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    flops = 2.0 * n * n * n
    return {"gflops": flops / statistics.median(times) / 1e9,
            "max_abs_error": error}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weft-opt", default=os.path.join(ROOT, "build/bin/weft-opt"))
    ap.add_argument("--sizes", default="256,512,1024")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=1.0,
                    help="time each side at least this long per run")
    ap.add_argument("--child", nargs=3, metavar=("SIDE", "N", "LIBRARY"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        side, n, library = args.child
        print(json.dumps(time_side(side, int(n), library, args.seconds)))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    threads = [int(t) for t in args.threads.split(",")]
    print(f"OpenBLAS: numpy.matmul through libblas.so.3 -> {libblas_target()}")
    print("Weft: weft-opt --weft-linalg-to-llvm-pipeline, opt/llc -O3 "
          "-mcpu=native; OMP_NUM_THREADS threads (LLVM's libomp)\n")
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for n in sizes:
            library = build(args.weft_opt, n, workdir)
            for t in threads:
                env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t),
                           OMP_NUM_THREADS=str(t))
                results = {"weft": [], "openblas": []}
                for _ in range(args.repeats):
                    for side in ("weft", "openblas"):
                        result = last_json(run(
                            [sys.executable, __file__, "--seconds",
                             str(args.seconds), "--child", side, str(n), library],
                            env=env))
                        if result["max_abs_error"] > 1e-2 * n ** 0.5:
                            sys.exit(f"{side} n={n}: wrong result, max error "
                                     f"{result['max_abs_error']}")
                        results[side].append(result["gflops"])
                weft = statistics.median(results["weft"])
                blas = statistics.median(results["openblas"])
                rows.append((n, t, weft, blas))
    print("| n | threads | Weft GFLOP/s | OpenBLAS GFLOP/s | Weft / OpenBLAS |")
    print("|---|---|---|---|---|")
    for n, t, weft, blas in rows:
        print(f"| {n} | {t} | {weft:.1f} | {blas:.1f} | {weft / blas:.2f}x |")


if __name__ == "__main__":
    main()
