//===- GpuLibraryCalls.cpp - Convolutions and matmuls to cuDNN, cuBLAS ----===//
//
// See weft-gpu-library-calls and weft-lower-gpu-library-calls in
// Passes.td. The matcher reads a generic's indexing maps: Weft's lowering
// and autodiff write every convolution as one of three multiply-add
// generics over [batch, group, channel, row, column] buffers, and every
// dense layer as a multiply-add over three dimensions.
//
//===----------------------------------------------------------------------===//

#include "dialects/weft/IR/WeftOps.h"
#include "passes/GpuStream.h"
#include "passes/MultiplyAdd.h"
#include "passes/Passes.h"
#include "runtime/CudaLibraries.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/ADT/SmallSet.h"

namespace mlir::weft {
#define GEN_PASS_DEF_GPULIBRARYCALLSPASS
#define GEN_PASS_DEF_LOWERGPULIBRARYCALLSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kConvolution = "weft_cudnn_convolution";
constexpr llvm::StringLiteral kGemm = "weft_cublas_gemm";

// runtime/CudaLibraries.h, which numbers the convolutions for compiler and
// runtime alike, brings in the runtime's ::weft: the compiler's namespace
// is written mlir::weft here.
using ::weft::cuda::ConvolutionKind;

/// The loop dimensions a map's results name, or none if a result is not
/// a plain dimension.
std::optional<SmallVector<unsigned>> plainDims(AffineMap map) {
  SmallVector<unsigned> dims;
  for (AffineExpr result : map.getResults()) {
    auto dim = dyn_cast<AffineDimExpr>(result);
    if (!dim)
      return std::nullopt;
    dims.push_back(dim.getPosition());
  }
  return dims;
}

/// For `d_i + d_j`, {i, j}.
std::optional<std::pair<unsigned, unsigned>> sumOfDims(AffineExpr expr) {
  auto sum = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!sum || sum.getKind() != AffineExprKind::Add)
    return std::nullopt;
  auto lhs = dyn_cast<AffineDimExpr>(sum.getLHS());
  auto rhs = dyn_cast<AffineDimExpr>(sum.getRHS());
  if (!lhs || !rhs)
    return std::nullopt;
  return std::make_pair(lhs.getPosition(), rhs.getPosition());
}

/// Whether `pair` is `{p, r}` in some order.
bool isPair(std::pair<unsigned, unsigned> pair, unsigned p, unsigned r) {
  return (pair.first == p && pair.second == r) ||
         (pair.first == r && pair.second == p);
}

/// An f32 memref with static strides whose dimension `outer` steps over
/// whole runs of dimension `outer + 1` (so that cuDNN sees the two as one
/// channel dimension), and, if `packed`, row-major contiguous with static
/// sizes (cuDNN's filters have no strides).
bool hasLibraryLayout(Value buffer, unsigned outer, bool packed) {
  auto type = dyn_cast<MemRefType>(buffer.getType());
  if (!type || !type.getElementType().isF32())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) ||
      llvm::any_of(strides, ShapedType::isDynamic))
    return false;
  ArrayRef<int64_t> shape = type.getShape();
  if (packed) {
    int64_t expected = 1;
    for (int64_t i = type.getRank() - 1; i >= 0; --i) {
      if (ShapedType::isDynamic(shape[i]) || strides[i] != expected)
        return false;
      expected *= shape[i];
    }
    return true;
  }
  return !ShapedType::isDynamic(shape[outer + 1]) &&
         strides[outer] == shape[outer + 1] * strides[outer + 1];
}

/// The library call's kind and buffers (in the runtime's order) for a
/// convolution generic.
struct ConvolutionCall {
  ConvolutionKind kind;
  SmallVector<Value, 3> buffers;
};

std::optional<ConvolutionCall> matchConvolution(linalg::GenericOp op) {
  if (op.getNumLoops() != 8 || !mlir::weft::isMultiplyAdd(op))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (llvm::any_of(maps, [](AffineMap m) { return m.getNumResults() != 5; }))
    return std::nullopt;
  // The input with the sliding window: [n, g, c, p + r, q + s].
  unsigned windowed = sumOfDims(maps[0].getResult(3)) ? 0 : 1;
  AffineMap window = maps[windowed], other = maps[1 - windowed];
  auto rows = sumOfDims(window.getResult(3));
  auto columns = sumOfDims(window.getResult(4));
  auto x = plainDims(window.getSliceMap(0, 3));
  auto o = plainDims(other);
  auto y = plainDims(maps[2]);
  if (!rows || !columns || !x || !o || !y)
    return std::nullopt;
  Value xBuffer = op.getDpsInputs()[windowed];
  Value oBuffer = op.getDpsInputs()[1 - windowed];
  Value yBuffer = op.getDpsInits()[0];
  unsigned n = (*x)[0], g = (*x)[1], c = (*x)[2];
  auto iterators = op.getIteratorTypesArray();
  auto isParallel = [&](unsigned d) {
    return iterators[d] == utils::IteratorType::parallel;
  };
  // Every loop dimension named once, the output's parallel, the rest sums.
  auto allDistinct = [&](ArrayRef<unsigned> dims) {
    llvm::SmallSet<unsigned, 8> seen(dims.begin(), dims.end());
    return seen.size() == 8 && dims.size() == 8;
  };
  auto outputParallel = [&](ArrayRef<unsigned> outputs) {
    for (unsigned d = 0; d < 8; ++d)
      if (isParallel(d) != llvm::is_contained(outputs, d))
        return false;
    return true;
  };
  // Forward and input gradient: y = [n, g, k, p, q].
  if ((*y)[0] == n && (*y)[1] == g) {
    unsigned k = (*y)[2], p = (*y)[3], q = (*y)[4];
    unsigned r = (*o)[3], s = (*o)[4];
    bool forward = (*o)[0] == g && (*o)[1] == k && (*o)[2] == c;
    bool backwardData = (*o)[0] == g && (*o)[1] == c && (*o)[2] == k;
    if ((!forward && !backwardData) || !isPair(*rows, p, r) ||
        !isPair(*columns, q, s) || !allDistinct({n, g, c, k, p, q, r, s}) ||
        !outputParallel(*y))
      return std::nullopt;
    if (!hasLibraryLayout(xBuffer, 1, false) ||
        !hasLibraryLayout(oBuffer, 0, true) ||
        !hasLibraryLayout(yBuffer, 1, false))
      return std::nullopt;
    return ConvolutionCall{forward ? ::weft::cuda::Forward
                                   : ::weft::cuda::BackwardData,
                           {xBuffer, oBuffer, yBuffer}};
  }
  // Weight gradient: dw = [g, k, c, r, s], dy = [n, g, k, p, q].
  if ((*y)[0] == g && (*y)[2] == c && (*o)[0] == n && (*o)[1] == g &&
      (*o)[2] == (*y)[1]) {
    unsigned k = (*y)[1], r = (*y)[3], s = (*y)[4];
    unsigned p = (*o)[3], q = (*o)[4];
    if (!isPair(*rows, p, r) || !isPair(*columns, q, s) ||
        !allDistinct({n, g, c, k, p, q, r, s}) || !outputParallel(*y))
      return std::nullopt;
    if (!hasLibraryLayout(xBuffer, 1, false) ||
        !hasLibraryLayout(oBuffer, 1, false) ||
        !hasLibraryLayout(yBuffer, 0, true))
      return std::nullopt;
    return ConvolutionCall{::weft::cuda::BackwardFilter,
                           {xBuffer, oBuffer, yBuffer}};
  }
  return std::nullopt;
}

/// A matrix product's buffers [a, b, c] and whether a is stored [k, m] and
/// b [n, k] (transposed against c[m, n] = a[m, k] b[k, n]).
struct GemmCall {
  SmallVector<Value, 3> buffers;
  bool transposeA, transposeB;
};

std::optional<GemmCall> matchGemm(linalg::GenericOp op) {
  if (op.getNumLoops() != 3 || !mlir::weft::isMultiplyAdd(op))
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  auto c = plainDims(maps[2]);
  auto in0 = plainDims(maps[0]), in1 = plainDims(maps[1]);
  if (!c || !in0 || !in1 || c->size() != 2 || in0->size() != 2 ||
      in1->size() != 2)
    return std::nullopt;
  unsigned m = (*c)[0], n = (*c)[1];
  auto iterators = op.getIteratorTypesArray();
  unsigned k = 3 - m - n;
  if (m == n || iterators[m] != utils::IteratorType::parallel ||
      iterators[n] != utils::IteratorType::parallel ||
      iterators[k] != utils::IteratorType::reduction)
    return std::nullopt;
  // Which input holds m (a) and which n (b).
  auto holds = [](ArrayRef<unsigned> dims, unsigned first, unsigned second) {
    return isPair({dims[0], dims[1]}, first, second);
  };
  unsigned a = holds(*in0, m, k) ? 0 : 1;
  ArrayRef<unsigned> aDims = a == 0 ? *in0 : *in1;
  ArrayRef<unsigned> bDims = a == 0 ? *in1 : *in0;
  if (!holds(aDims, m, k) || !holds(bDims, k, n))
    return std::nullopt;
  Value aBuffer = op.getDpsInputs()[a], bBuffer = op.getDpsInputs()[1 - a];
  Value cBuffer = op.getDpsInits()[0];
  // cuBLAS reads rows of consecutive elements at a fixed distance.
  for (Value buffer : {aBuffer, bBuffer, cBuffer}) {
    auto type = cast<MemRefType>(buffer.getType());
    SmallVector<int64_t> strides;
    int64_t offset;
    if (!type.getElementType().isF32() ||
        failed(type.getStridesAndOffset(strides, offset)) || strides[1] != 1 ||
        ShapedType::isDynamic(strides[0]))
      return std::nullopt;
  }
  return GemmCall{{aBuffer, bBuffer, cBuffer}, aDims[0] == k, bDims[0] == n};
}

struct GpuLibraryCallsPass
    : public mlir::weft::impl::GpuLibraryCallsPassBase<GpuLibraryCallsPass> {
  using GpuLibraryCallsPassBase::GpuLibraryCallsPassBase;

  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation().walk([&](linalg::GenericOp op) {
      if (op.hasPureBufferSemantics())
        generics.push_back(op);
    });
    for (linalg::GenericOp op : generics) {
      OpBuilder b(op);
      if (cudnn) {
        if (std::optional<ConvolutionCall> call = matchConvolution(op)) {
          replace(b, op, kConvolution, call->buffers,
                  {static_cast<int64_t>(call->kind), tf32 ? 1 : 0});
          continue;
        }
      }
      if (cublas) {
        if (std::optional<GemmCall> call = matchGemm(op))
          replace(b, op, kGemm, call->buffers,
                  {call->transposeA, call->transposeB, tf32 ? 1 : 0});
      }
    }
  }

  static void replace(OpBuilder &b, linalg::GenericOp op, StringRef callee,
                      ValueRange buffers, ArrayRef<int64_t> params) {
    mlir::weft::GpuLibraryCallOp::create(
        b, op.getLoc(), /*asyncToken=*/Type(), /*asyncDependencies=*/{},
        FlatSymbolRefAttr::get(b.getContext(), callee), buffers,
        b.getDenseI64ArrayAttr(params));
    op.erase();
  }
};

/// `memref<?x...x?xf32, strided<[?, ...], offset: ?>>` of `rank`: any
/// buffer of that rank casts to it, and the runtime reads its descriptor.
MemRefType anyLayout(MLIRContext *context, int64_t rank) {
  SmallVector<int64_t> dynamic(rank, ShapedType::kDynamic);
  return MemRefType::get(
      dynamic, Float32Type::get(context),
      StridedLayoutAttr::get(context, ShapedType::kDynamic, dynamic));
}

struct LowerGpuLibraryCallsPass
    : public mlir::weft::impl::LowerGpuLibraryCallsPassBase<
          LowerGpuLibraryCallsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<mlir::weft::GpuLibraryCallOp> calls;
    module.walk([&](mlir::weft::GpuLibraryCallOp op) { calls.push_back(op); });
    for (mlir::weft::GpuLibraryCallOp op : calls) {
      OpBuilder b(op);
      Location loc = op.getLoc();
      SmallVector<Value> arguments;
      for (Value buffer : op.getBuffers()) {
        auto type = anyLayout(b.getContext(),
                              cast<MemRefType>(buffer.getType()).getRank());
        arguments.push_back(memref::CastOp::create(b, loc, type, buffer));
      }
      for (int64_t param : op.getParams())
        arguments.push_back(arith::ConstantIntOp::create(b, loc, param, 64));
      func::FuncOp callee = declare(module, op.getCallee(), arguments);
      func::CallOp::create(b, loc, callee, arguments);
      // One stream: what follows is queued behind the call already.
      if (Value token = op.getAsyncToken()) {
        Value before =
            mlir::weft::tokenBefore(b, loc, op.getAsyncDependencies());
        token.replaceAllUsesWith(before);
      }
      op.erase();
    }
  }

  static func::FuncOp declare(ModuleOp module, StringRef name,
                              ValueRange arguments) {
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
    auto type = b.getFunctionType(TypeRange(arguments), {});
    auto function = func::FuncOp::create(b, module.getLoc(), name, type);
    function.setPrivate();
    // The runtime defines _mlir_ciface_<name>, taking descriptors.
    function->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      b.getUnitAttr());
    return function;
  }
};

} // namespace
