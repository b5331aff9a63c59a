// RUN: weft-opt %s --weft-fold-broadcast-transposes | FileCheck %s
// A block's row values broadcast along its lanes: upstream's transfer
// lowering makes them a broadcast and a transpose, which becomes one
// broadcast of the values with a unit lane dimension (a splat per row).

// CHECK-LABEL: func.func @rows_along_lanes
// CHECK-NOT: vector.transpose
// CHECK: %[[COLUMN:.*]] = vector.shape_cast %arg0 : vector<2xf32> to vector<2x1xf32>
// CHECK: %[[ROWS:.*]] = vector.broadcast %[[COLUMN]] : vector<2x1xf32> to vector<2x112xf32>
// CHECK: return %[[ROWS]]
func.func @rows_along_lanes(%v: vector<2xf32>) -> vector<2x112xf32> {
  %b = vector.broadcast %v : vector<2xf32> to vector<112x2xf32>
  %t = vector.transpose %b, [1, 0] : vector<112x2xf32> to vector<2x112xf32>
  return %t : vector<2x112xf32>
}

// Two added dimensions, both moved behind the source's.
// CHECK-LABEL: func.func @two_added
// CHECK: vector.shape_cast %arg0 : vector<3xf32> to vector<3x1x1xf32>
// CHECK: vector.broadcast %{{.*}} : vector<3x1x1xf32> to vector<3x4x5xf32>
func.func @two_added(%v: vector<3xf32>) -> vector<3x4x5xf32> {
  %b = vector.broadcast %v : vector<3xf32> to vector<4x5x3xf32>
  %t = vector.transpose %b, [2, 0, 1] : vector<4x5x3xf32> to vector<3x4x5xf32>
  return %t : vector<3x4x5xf32>
}

// Left alone: the transpose reorders the source's own dimensions.
// CHECK-LABEL: func.func @source_reordered
// CHECK: vector.transpose
func.func @source_reordered(%v: vector<3x4xf32>) -> vector<4x3x8xf32> {
  %b = vector.broadcast %v : vector<3x4xf32> to vector<8x3x4xf32>
  %t = vector.transpose %b, [2, 1, 0] : vector<8x3x4xf32> to vector<4x3x8xf32>
  return %t : vector<4x3x8xf32>
}

// Left alone: a broadcast that stretches a unit dimension of its source.
// CHECK-LABEL: func.func @stretched
// CHECK: vector.transpose
func.func @stretched(%v: vector<1x4xf32>) -> vector<4x3xf32> {
  %b = vector.broadcast %v : vector<1x4xf32> to vector<3x4xf32>
  %t = vector.transpose %b, [1, 0] : vector<3x4xf32> to vector<4x3xf32>
  return %t : vector<4x3xf32>
}
