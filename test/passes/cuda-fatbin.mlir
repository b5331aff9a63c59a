// REQUIRES: ptxas
// RUN: weft-opt %s --gpu-module-to-binary="format=isa" --weft-cuda-fatbin="archs=sm_80,sm_90 toolkit=%cuda-toolkit" | FileCheck %s
// RUN: weft-opt %s --gpu-module-to-binary="format=isa" | FileCheck %s --check-prefix=PTX
// RUN: not weft-opt %s --gpu-module-to-binary="format=isa" --weft-cuda-fatbin="archs=sm_80 toolkit=%t.none" 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not weft-opt %s --gpu-module-to-binary="format=bin toolkit=%cuda-toolkit" --weft-cuda-fatbin="archs=sm_80 toolkit=%cuda-toolkit" 2>&1 | FileCheck %s --check-prefix=NOT-PTX

// The PTX of gpu-module-to-binary becomes one fatbin (no format keyword: the
// default) whose bytes start with the fatbin magic 0xBA55ED50; its
// properties stay.
// PTX: gpu.binary @kernels [#gpu.object<#nvvm.target<chip = "sm_80">, {{.*}}assembly = "
// CHECK: gpu.binary @kernels [#gpu.object<#nvvm.target<chip = "sm_80">, properties = {{{.*}}}, "P\EDU\BA
// CHECK-NOT: assembly

// A toolkit without ptxas is named in the error.
// MISSING: error: {{.*}}none/bin/ptxas failed

// Anything but PTX is refused.
// NOT-PTX: error: weft-cuda-fatbin expects one PTX object

module attributes {gpu.container_module} {
  gpu.module @kernels [#nvvm.target<chip = "sm_80">] {
    llvm.func @scale(%x: !llvm.ptr<1>) attributes {nvvm.kernel} {
      %t = nvvm.read.ptx.sreg.tid.x : i32
      %p = llvm.getelementptr %x[%t] : (!llvm.ptr<1>, i32) -> !llvm.ptr<1>, f32
      %v = llvm.load %p : !llvm.ptr<1> -> f32
      %w = llvm.fadd %v, %v : f32
      llvm.store %w, %p : f32, !llvm.ptr<1>
      llvm.return
    }
  }
}
