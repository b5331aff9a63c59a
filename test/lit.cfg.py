# -*- Python -*-
# lit configuration for Weft's compiler and end-to-end tests.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "Weft"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".weft", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.weft_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "crashers",
                   "Inputs", "lib"]

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.weft_tools_dir, append_path=True)

# The numerical reference is Debian's PyTorch, which lives with Debian's
# python3, not with whatever python3 comes first on PATH.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(
    ("%testlib", os.path.join(config.test_source_root, "lib")))
config.substitutions.append(
    ("%examples", os.path.join(config.weft_src_root, "examples")))
config.substitutions.append(
    ("%scripts", os.path.join(config.weft_src_root, "scripts")))
config.substitutions.append(("%fashion", "/usr/share/datasets/fashion-mnist"))
# A libcuda.so.1, libcudnn.so.9 and libcublas.so.13 that run on the CPU
# (test/unit/Fake*.cpp): --emulate-gpu-kernels builds with --cuda-libraries
# call them where no GPU is.
config.substitutions.append(
    ("%fake-cuda", os.path.join(config.weft_obj_root, "test", "unit",
                                "fake-cuda")))
config.environment["PYTHONPATH"] = os.path.join(config.test_source_root, "lib")
config.environment["PYTHONDONTWRITEBYTECODE"] = "1"

llvm_config.add_tool_substitutions(["weftc", "weft-opt"],
                                   [config.weft_tools_dir])

# AArch64 executables run under qemu-user, with the arm64 libraries that
# scripts/install-deps.sh installs multiarch; without them (or without the
# cross-built runtime) the AArch64 tests report UNSUPPORTED.
import shutil
if shutil.which("qemu-aarch64") and os.path.exists(os.path.join(
        config.weft_obj_root, "lib", "aarch64-linux-gnu", "libweft_runtime.a")):
    config.available_features.add("aarch64-qemu")
    config.substitutions.append(("%run-aarch64", "qemu-aarch64"))

# CUDA: the toolkit is found as Weft's GPU pipeline finds it ($CUDA_PATH,
# else $CUDA_HOME, else /usr/local/cuda), never through PATH, where ptxas
# may be a wrapper script far from the toolkit's other parts. Its ptxas
# assembles the PTX weftc writes; tests that run kernels need a GPU and its
# driver, and without one they report UNSUPPORTED after this note.
def cuda_toolkit():
    for root in (os.environ.get("CUDA_PATH"), os.environ.get("CUDA_HOME"),
                 "/usr/local/cuda"):
        if root and os.access(os.path.join(root, "bin", "ptxas"), os.X_OK):
            return os.path.realpath(root)
    return None


toolkit = cuda_toolkit()
if toolkit:
    config.available_features.add("ptxas")
    config.substitutions.append(("%cuda-toolkit", toolkit))
    config.substitutions.append(
        ("%ptxas", os.path.join(toolkit, "bin", "ptxas")))


def cuda_device_count():
    """GPUs the CUDA driver sees; 0 without a driver."""
    import ctypes
    try:
        driver = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return 0
    count = ctypes.c_int(0)
    if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return 0
    return count.value


if cuda_device_count() > 0:
    config.available_features.add("cuda-device")
else:
    lit_config.note("skipped: no CUDA device (the tests that run GPU kernels "
                    "report UNSUPPORTED; emulated kernels and ptxas still run)")
