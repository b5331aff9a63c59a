//===- weft-opt.cpp - mlir-opt with Weft's dialect and passes -------------===//

#include "backends/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::weft::registerWeftDialects(registry);
  mlir::weft::registerWeftPassesAndPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Weft optimizer driver\n", registry));
}
