//===- WeftDialect.cpp - The weft dialect ---------------------------------===//

#include "dialects/weft/IR/WeftDialect.h"
#include "dialects/weft/IR/WeftOps.h"
#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace mlir::weft;

#include "dialects/weft/IR/WeftDialect.cpp.inc"

namespace {
/// Every weft operation is a pure function of its operands or a load/store of
/// a module-level symbol, so inlining a call never changes its meaning. The
/// pipeline inlines `@loss`'s call of `@forward` before differentiating.
struct WeftInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Operation *, bool) const final {
    return true;
  }
  bool isLegalToInline(Region *, Region *, bool, IRMapping &) const final {
    return true;
  }
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void WeftDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/weft/IR/WeftOps.cpp.inc"
      >();
  addInterfaces<WeftInlinerInterface>();
}
