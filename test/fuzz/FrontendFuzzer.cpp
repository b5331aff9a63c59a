//===- FrontendFuzzer.cpp - libFuzzer target for lexer, parser and Sema ---===//
//
// Any byte string must get diagnostics or compile: no crash, hang, leak or
// sanitizer report. Built with clang -fsanitize=fuzzer,address by
// `make fuzz` (see the Makefile); `make test` runs it for a bounded time.
//
//===----------------------------------------------------------------------===//

#include "frontend/Frontend.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size),
          "fuzz.weft"),
      llvm::SMLoc());
  // Printing diagnostics is exercised by the lit tests; here it only slows
  // the search down.
  weft::FrontendOptions options;
  options.allowImports = false;
  weft::parseModelFile(sourceMgr, options, llvm::nulls());
  return 0;
}
