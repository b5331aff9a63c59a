// RUN: weft-opt %s --weft-loops-to-gpu --verify-diagnostics

// A store from several threads to one element that is not a sum has no
// correct GPU lowering: the threads would overwrite each other.
func.func @shared_maximum(%dy: memref<?x8xf32>, %m: memref<8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %dy, %c0 : memref<?x8xf32>
  scf.parallel (%b, %c) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    %g = memref.load %dy[%b, %c] : memref<?x8xf32>
    %old = memref.load %m[%c] : memref<8xf32>
    %new = arith.maximumf %old, %g : f32
    // expected-error @below {{stores to one element from several GPU threads, and what it stores is not a sum}}
    memref.store %new, %m[%c] : memref<8xf32>
    scf.reduce
  }
  return
}
