//===- FuseSliceSums.cpp - One sum over slices that follow one another ----===//
//
// See weft-fuse-slice-sums in Passes.td. Gradient clipping's global norm is
// a sum, over every gradient, of the sum of its squares: one reduction per
// parameter, added up as scalars. After weft-flat-gradients the gradients
// are slices of one flat tensor, so the whole sum is one reduction over it.
//
//===----------------------------------------------------------------------===//

#include "passes/FlatSlices.h"
#include "passes/LayerNames.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OperationSupport.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::weft {
#define GEN_PASS_DEF_FUSESLICESUMSPASS
#include "passes/Passes.h.inc"
} // namespace mlir::weft

using namespace mlir;
using weft::FlatSlice;

namespace {

/// A term of a scalar sum: the one element of a reduction of every element
/// of a flat slice into a rank-0 tensor.
struct SliceSum {
  mutable tensor::ExtractOp extract;
  mutable linalg::GenericOp op;
  FlatSlice input;
};

std::optional<SliceSum> asSliceSum(Value term) {
  auto extract = term.getDefiningOp<tensor::ExtractOp>();
  if (!extract || !extract.getResult().hasOneUse())
    return std::nullopt;
  auto op = extract.getTensor().getDefiningOp<linalg::GenericOp>();
  if (!op || !op.hasPureTensorSemantics() || op.getNumDpsInputs() != 1 ||
      op.getNumDpsInits() != 1 || !op->getResult(0).hasOneUse() ||
      op.getNumReductionLoops() != op.getNumLoops() ||
      !op.getBody()->getOps<linalg::IndexOp>().empty())
    return std::nullopt;
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (!maps[0].isIdentity() || maps[1].getNumResults() != 0)
    return std::nullopt;
  std::optional<FlatSlice> input = weft::flatSliceOf(op.getDpsInputs()[0]);
  if (!input)
    return std::nullopt;
  return SliceSum{extract, op, *input};
}

/// Whether `value` is a floating-point zero.
bool isZero(Value value) { return matchPattern(value, m_AnyZeroFloat()); }

struct FuseSliceSumsPass
    : public weft::impl::FuseSliceSumsPassBase<FuseSliceSumsPass> {
  using Base::Base;

  /// If the chain of additions ending at `last` adds up only sums of
  /// slices that, in some order, follow one another (and zeros), replaces
  /// them with one sum.
  void fuseChain(SmallVector<arith::AddFOp> chain) {
    SmallVector<SliceSum> sums;
    auto addTerm = [&](Value term) {
      if (isZero(term))
        return true;
      std::optional<SliceSum> sum = asSliceSum(term);
      if (sum)
        sums.push_back(*sum);
      return sum.has_value();
    };
    if (!addTerm(chain.front().getLhs()))
      return;
    for (arith::AddFOp add : chain)
      if (!addTerm(add.getRhs()))
        return;
    if (sums.size() < 2)
      return;
    llvm::sort(sums, [](const SliceSum &a, const SliceSum &b) {
      return a.input.offset < b.input.offset;
    });
    const SliceSum &first = sums.front();
    int64_t total = first.input.size;
    for (auto [previous, next] : llvm::zip(sums, ArrayRef(sums).drop_front())) {
      if (!weft::followsSlice(previous.input, next.input) ||
          next.op.getDpsInits()[0] != first.op.getDpsInits()[0] ||
          !OperationEquivalence::isRegionEquivalentTo(
              &previous.op.getRegion(), &next.op.getRegion(),
              OperationEquivalence::IgnoreLocations))
        return;
      total += next.input.size;
    }

    arith::AddFOp last = chain.back();
    OpBuilder b(last);
    Location loc = first.op.getLoc();
    Value input = weft::extractFlatSlice(b, loc, first.input.flat,
                                         first.input.offset, total);
    Value init = first.op.getDpsInits()[0];
    SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(1),
                                   AffineMap::get(1, 0, {}, b.getContext())};
    auto fused =
        linalg::GenericOp::create(b, loc, init.getType(), input, init, maps,
                                  {utils::IteratorType::reduction});
    b.cloneRegionBefore(first.op.getRegion(), fused.getRegion(),
                        fused.getRegion().end());
    Value whole =
        tensor::ExtractOp::create(b, loc, fused.getResult(0), ValueRange{});
    if (remarks) {
      // The sums usually come from one op (clipping): named once.
      std::string names;
      llvm::StringSet<> named;
      for (const SliceSum &sum : sums) {
        std::string name = weft::describeLayer(sum.op);
        if (named.insert(name).second)
          names += (names.empty() ? "" : ", ") + name;
      }
      fused.emitRemark() << "fused " << sums.size()
                         << " sums of slices into one loop over " << total
                         << " elements: " << names;
    }
    last.getResult().replaceAllUsesWith(whole);
    for (arith::AddFOp add : llvm::reverse(chain))
      add.erase();
    for (SliceSum &sum : sums) {
      sum.extract.erase();
      sum.op.erase();
    }
  }

  void runOnOperation() override {
    // Chains a + b + c + ... as arith.addf ops, each adding a term to the
    // one before (its only use); found from their first link.
    SmallVector<SmallVector<arith::AddFOp>> chains;
    getOperation().walk([&](arith::AddFOp add) {
      // Not the scalar code inside a linalg op, which a fusion may erase.
      if (isa<linalg::LinalgOp>(add->getParentOp()))
        return;
      auto previous = add.getLhs().getDefiningOp<arith::AddFOp>();
      if (previous && previous->hasOneUse())
        return;
      SmallVector<arith::AddFOp> chain{add};
      while (chain.back()->hasOneUse()) {
        auto next = dyn_cast<arith::AddFOp>(*chain.back()->user_begin());
        if (!next || next.getLhs() != chain.back().getResult())
          break;
        chain.push_back(next);
      }
      chains.push_back(std::move(chain));
    });
    for (SmallVector<arith::AddFOp> &chain : chains)
      fuseChain(std::move(chain));
  }
};

} // namespace
