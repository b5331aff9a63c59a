//===- weftc.cpp - The Weft compiler driver -------------------------------===//
//
// Parses flags and calls the libraries: frontend (parse, check, MLIRGen),
// pipelines (lowerToStage), backend (LLVM IR, object code, link). Each
// `--emit=` stage stops the chain where the user wants to look.
//
//===----------------------------------------------------------------------===//

#include "backends/Compile.h"
#include "backends/LibraryHeader.h"
#include "backends/Linker.h"
#include "backends/Registration.h"
#include "backends/cpu/ObjectEmitter.h"
#include "frontend/Frontend.h"
#include "frontend/MLIRGen.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

namespace cl = llvm::cl;
namespace backend = mlir::weft;
namespace frontend = ::weft;
using namespace mlir;

namespace {
enum class Emit { AST, Weft, Linalg, LLVM, Asm, Obj, Exe, Lib, PTX };

cl::OptionCategory weftCategory("weftc options");
cl::opt<std::string> inputFilename(cl::Positional, cl::desc("<model.weft>"),
                                   cl::Required, cl::cat(weftCategory));
cl::opt<std::string> outputFilename("o", cl::desc("Output file"),
                                    cl::value_desc("file"),
                                    cl::cat(weftCategory));
cl::opt<Emit> emit(
    "emit", cl::desc("What to produce"), cl::init(Emit::Exe),
    cl::values(clEnumValN(Emit::AST, "ast", "the checked syntax tree"),
               clEnumValN(Emit::Weft, "weft", "the weft dialect (MLIRGen)"),
               clEnumValN(Emit::Linalg, "linalg",
                          "after autodiff, optimizers and lowering to linalg"),
               clEnumValN(Emit::LLVM, "llvm", "LLVM IR, optimised"),
               clEnumValN(Emit::Asm, "asm", "assembly"),
               clEnumValN(Emit::Obj, "obj", "an object file"),
               clEnumValN(Emit::Exe, "exe", "an executable (default)"),
               clEnumValN(Emit::Lib, "lib",
                          "libNAME.a, libNAME.so and NAME.h: the model "
                          "behind a C API"),
               clEnumValN(Emit::PTX, "ptx",
                          "the PTX of the model's GPU kernels")),
    cl::cat(weftCategory));
cl::opt<std::string> target("target",
                            cl::desc("Target: x86_64-linux-gnu, "
                                     "aarch64-linux-gnu, or cuda (the host "
                                     "and an NVIDIA GPU; default: the host)"),
                            cl::value_desc("triple"), cl::cat(weftCategory));
cl::list<std::string> cudaArchs(
    "cuda-arch",
    cl::desc("With --target=cuda: the GPU architectures the kernels are "
             "assembled for (default sm_80,sm_90); the oldest one's PTX is "
             "embedded too, for newer GPUs, and is what --emit=ptx writes"),
    cl::value_desc("sm_NN"), cl::CommaSeparated, cl::cat(weftCategory));
enum class CudaLibrary { Cudnn, Cublas };
cl::list<CudaLibrary> cudaLibraries(
    "cuda-libraries",
    cl::desc("With --target=cuda: compute convolutions and matrix products "
             "with NVIDIA's libraries instead of generated kernels (loaded "
             "when the model runs on a GPU)"),
    cl::values(clEnumValN(CudaLibrary::Cudnn, "cudnn",
                          "convolutions with cuDNN (libcudnn.so.9)"),
               clEnumValN(CudaLibrary::Cublas, "cublas",
                          "matrix products with cuBLAS (libcublas.so)")),
    cl::CommaSeparated, cl::cat(weftCategory));
cl::opt<bool> cudaStrictF32(
    "cuda-strict-f32",
    cl::desc("With --cuda-libraries: compute in f32 throughout; by default "
             "the libraries may round f32 operands to TF32 on tensor cores "
             "(Ampere and newer), as PyTorch does for convolutions"),
    cl::cat(weftCategory));
cl::opt<unsigned> cudaOutputsPerThread(
    "cuda-outputs-per-thread",
    cl::desc("With --target=cuda: the output elements each thread of a "
             "generated convolution or matrix product computes, loading what "
             "they share once (1 to 16; default 4)"),
    cl::init(4), cl::value_desc("N"), cl::cat(weftCategory));
cl::opt<std::string> cpu("cpu", cl::desc("Target CPU, or 'native'"),
                         cl::init("native"), cl::cat(weftCategory));
cl::opt<bool> printIRAfterAll("print-ir-after-all",
                              cl::desc("Print the IR after every pass"),
                              cl::cat(weftCategory));
cl::list<std::string> printIRAfter(
    "print-ir-after", cl::desc("Print the IR after these passes"),
    cl::value_desc("pass"), cl::CommaSeparated, cl::cat(weftCategory));
cl::list<std::string> printIRBefore(
    "print-ir-before", cl::desc("Print the IR before these passes"),
    cl::value_desc("pass"), cl::CommaSeparated, cl::cat(weftCategory));
cl::opt<std::string> printIRTreeDir(
    "print-ir-tree-dir",
    cl::desc("Write the IR after each pass to numbered files in this folder"),
    cl::value_desc("dir"), cl::cat(weftCategory));
cl::opt<bool> timing("timing", cl::desc("Report the time each pass takes"),
                     cl::cat(weftCategory));
enum class Remarks { Fusion, Kernels };
cl::list<Remarks> remarks(
    "remarks", cl::desc("Explain the compiler's decisions, as remarks at "
                        "the model's lines"),
    cl::values(clEnumValN(Remarks::Fusion, "fusion",
                          "what was fused into what, and why not"),
               clEnumValN(Remarks::Kernels, "kernels",
                          "how each kernel is blocked, vectorised and run in "
                          "parallel")),
    cl::CommaSeparated, cl::cat(weftCategory));
cl::opt<bool> emulateGpuKernels(
    "emulate-gpu-kernels",
    cl::desc("Build the CPU entry points from the CUDA path's kernels, each "
             "run as CPU loops (tests the GPU lowering without a GPU)"),
    cl::Hidden, cl::cat(weftCategory));
cl::opt<bool> lineTables(
    "g", cl::desc("Emit line tables: profilers attribute time to model lines"),
    cl::cat(weftCategory));

/// The default output name: the model file's stem, with a suffix per kind.
std::string defaultOutput() {
  std::string stem = llvm::sys::path::stem(inputFilename).str();
  switch (emit) {
  case Emit::Exe:
  case Emit::Lib: return stem;
  case Emit::Obj: return stem + ".o";
  case Emit::Asm: return stem + ".s";
  case Emit::PTX: return stem + ".ptx";
  default: return "-";
  }
}

/// Prints `print` to the output file (or stdout) atomically.
template <typename Fn> int writeText(const std::string &path, Fn print) {
  std::string error;
  auto out = openOutputFile(path, &error);
  if (!out) {
    llvm::errs() << "weftc: error: " << error << "\n";
    return 1;
  }
  print(out->os());
  out->keep();
  return 0;
}

/// With --emit=lib, -o names the library: `DIR/NAME` gives DIR/libNAME.a,
/// DIR/libNAME.so and DIR/NAME.h, with the API prefix NAME.
bool checkLibraryName(const std::string &output, std::string &prefix) {
  llvm::StringRef name = llvm::sys::path::filename(output);
  if (name.contains('.')) {
    llvm::errs() << "weftc: error: with --emit=lib, -o names the library "
                    "without 'lib' or an extension: -o out/mlp writes "
                    "out/libmlp.a, out/libmlp.so and out/mlp.h\n";
    return false;
  }
  prefix = backend::libraryPrefix(name);
  if (prefix.empty()) {
    llvm::errs() << "weftc: error: the library name '" << name
                 << "' has no letters or digits for the C API's prefix\n";
    return false;
  }
  return true;
}

/// Links the object of `link` into libraries and writes their header.
int emitLibrary(ModuleOp module, const backend::LinkOptions &link,
                const std::string &prefix) {
  std::string error;
  FailureOr<std::string> header = backend::renderLibraryHeader(
      module, prefix, inputFilename, link.triple);
  if (failed(header))
    return 1;
  if (!backend::linkLibrary(link, prefix, backend::libraryApiFunctions(),
                            error)) {
    llvm::errs() << "weftc: error: " << error << "\n";
    return 1;
  }
  return writeText(backend::libraryOutputs(link.output).header,
                   [&](llvm::raw_ostream &os) { os << *header; });
}

int compile(llvm::SourceMgr &sourceMgr, MLIRContext &context) {
  frontend::FrontendOptions options;
  options.forCodegen = emit != Emit::AST;
  std::unique_ptr<frontend::ast::Module> ast =
      frontend::parseModelFile(sourceMgr, options);
  if (!ast)
    return 1;
  std::string output = outputFilename.empty() ? defaultOutput() : outputFilename;
  std::string libraryPrefix;
  if (emit == Emit::Lib && !checkLibraryName(output, libraryPrefix))
    return 1;
  if (emit == Emit::AST)
    return writeText(output, [&](llvm::raw_ostream &os) { ast->dump(os); });

  OwningOpRef<ModuleOp> module = frontend::mlirGen(context, *ast, inputFilename, &sourceMgr);
  if (!module)
    return 1;
  // `--stats` is LLVM's own flag (pass statistics, which release builds of
  // LLVM do not collect); main() gives it Weft's meaning and help text.
  bool stats = llvm::AreStatisticsEnabled();
  std::vector<backend::KernelStats> kernelStats;
  backend::InspectionOptions inspection{printIRAfterAll, printIRAfter,
                                     printIRBefore, printIRTreeDir, timing,
                                     lineTables, stats ? &kernelStats : nullptr,
                                     llvm::is_contained(remarks, Remarks::Fusion),
                                     llvm::is_contained(remarks, Remarks::Kernels)};
  backend::Stage stage = emit == Emit::Weft     ? backend::Stage::Weft
                      : emit == Emit::Linalg ? backend::Stage::Linalg
                                             : backend::Stage::LLVMDialect;
  if (stats && stage != backend::Stage::LLVMDialect) {
    llvm::errs() << "weftc: error: --stats counts the code generated for the "
                    "CPU; use it with --emit=llvm, asm, obj, exe or lib\n";
    return 1;
  }
  if (!remarks.empty() && stage != backend::Stage::LLVMDialect) {
    llvm::errs() << "weftc: error: --remarks explains the CPU pipeline's "
                    "decisions; use it with --emit=llvm, asm, obj, exe or lib\n";
    return 1;
  }
  bool cuda = target == "cuda";
  backend::CudaOptions cudaOptions;
  if (!cudaArchs.empty())
    cudaOptions.archs.assign(cudaArchs.begin(), cudaArchs.end());
  for (const std::string &arch : cudaOptions.archs) {
    if (!backend::cudaArchNumber(arch)) {
      llvm::errs() << "weftc: error: --cuda-arch expects architectures such "
                      "as sm_80 or sm_90, not '"
                   << arch << "'\n";
      return 1;
    }
  }
  cudaOptions.toolkit = backend::defaultCudaToolkit();
  for (CudaLibrary library : cudaLibraries) {
    cudaOptions.cudnn |= library == CudaLibrary::Cudnn;
    cudaOptions.cublas |= library == CudaLibrary::Cublas;
  }
  cudaOptions.tf32 = !cudaStrictF32;
  if (cudaOutputsPerThread < 1 || cudaOutputsPerThread > 16) {
    llvm::errs() << "weftc: error: --cuda-outputs-per-thread expects 1 to 16, "
                    "not "
                 << cudaOutputsPerThread << "\n";
    return 1;
  }
  cudaOptions.outputsPerThread = cudaOutputsPerThread;
  if ((!cudaLibraries.empty() || cudaStrictF32 ||
       cudaOutputsPerThread.getNumOccurrences()) &&
      !cuda && !emulateGpuKernels && emit != Emit::PTX) {
    llvm::errs() << "weftc: error: --cuda-libraries, --cuda-strict-f32 and "
                    "--cuda-outputs-per-thread choose how --target=cuda "
                    "computes; add --target=cuda\n";
    return 1;
  }
  if (cuda && stage == backend::Stage::LLVMDialect &&
      cudaOptions.toolkit.empty()) {
    llvm::errs() << "weftc: error: --target=cuda assembles the kernels with "
                    "the CUDA toolkit's ptxas, and none was found in "
                    "$CUDA_PATH, $CUDA_HOME or /usr/local/cuda\n";
    return 1;
  }
  if (cuda && emit == Emit::Lib) {
    llvm::errs() << "weftc: error: the C library runs on the CPU only; "
                    "build it without --target=cuda\n";
    return 1;
  }
  if (emit == Emit::PTX) {
    FailureOr<std::string> ptx =
        backend::lowerToPtx(*module, inspection, cudaOptions);
    if (failed(ptx))
      return 1;
    return writeText(output, [&](llvm::raw_ostream &os) { os << *ptx; });
  }
  // The target decides how kernels are blocked (its vector width), so it is
  // known before the pipeline runs. A CUDA build's host is this machine.
  std::string error;
  std::string cpuTarget = cuda ? std::string() : std::string(target);
  backend::CpuTargetOptions targetOptions{cpuTarget, cpu};
  auto machine = backend::createCpuTargetMachine(targetOptions, error);
  if (!machine) {
    llvm::errs() << "weftc: error: " << error << "\n";
    return 1;
  }
  int64_t lanes = backend::vectorLanesF32(*machine);
  if (emulateGpuKernels && stage == backend::Stage::LLVMDialect) {
    if (cuda || stats || !remarks.empty()) {
      llvm::errs() << "weftc: error: --emulate-gpu-kernels builds a CPU "
                      "target without --stats or --remarks\n";
      return 1;
    }
    if (failed(backend::lowerWithEmulatedGpuKernels(*module, inspection,
                                                    cudaOptions)))
      return 1;
  } else if (cuda && stage == backend::Stage::LLVMDialect) {
    if (failed(backend::lowerToCpuAndCuda(*module, inspection, lanes,
                                          cudaOptions)))
      return 1;
  } else if (failed(backend::lowerToStage(*module, stage, inspection, lanes))) {
    return 1;
  }
  if (stats) {
    int64_t batch = backend::trainBatch(*module);
    backend::printKernelStatsTable(llvm::errs(), kernelStats,
                                   batch > 0 ? batch : 1);
  }
  if (emit == Emit::Weft || emit == Emit::Linalg)
    return writeText(output, [&](llvm::raw_ostream &os) { module->print(os); });

  llvm::LLVMContext llvmContext;
  auto llvmModule = backend::translateToLLVMIR(*module, llvmContext, *machine,
                                               targetOptions.optLevel);
  if (!llvmModule)
    return 1;
  if (emit == Emit::LLVM)
    return writeText(output, [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); });
  if (emit == Emit::Asm || emit == Emit::Obj) {
    if (!backend::emitMachineCode(*llvmModule, *machine, output,
                               emit == Emit::Asm, error)) {
      llvm::errs() << "weftc: error: " << error << "\n";
      return 1;
    }
    return 0;
  }

  // An executable or a library: object code in a temporary file, then the
  // linker.
  llvm::SmallString<128> object;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("weft-model", "o", object)) {
    llvm::errs() << "weftc: error: cannot create a temporary file: "
                 << ec.message() << "\n";
    return 1;
  }
  llvm::FileRemover removeObject(object);
  if (!backend::emitMachineCode(*llvmModule, *machine, object, false, error)) {
    llvm::errs() << "weftc: error: " << error << "\n";
    return 1;
  }
  static int anchor;
  backend::LinkOptions link{output, {std::string(object)},
                            backend::findLibraryDir("weftc", (void *)&anchor),
                            backend::canonicalCpuTarget(cpuTarget)};
  if (emit == Emit::Lib)
    return emitLibrary(*module, link, libraryPrefix);
  if (!backend::linkExecutable(link, error)) {
    llvm::errs() << "weftc: error: " << error << "\n";
    return 1;
  }
  return 0;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions(weftCategory);
  if (cl::Option *stats = cl::getRegisteredOptions().lookup("stats")) {
    stats->setDescription("Print each function's kernels, flops and "
                          "temporaries (at the train block's batch)");
    stats->addCategory(weftCategory);
    stats->setHiddenFlag(cl::NotHidden);
  }
  cl::ParseCommandLineOptions(argc, argv, "Weft: compile a model file\n");

  std::string error;
  auto file = openInputFile(inputFilename, &error);
  if (!file) {
    llvm::errs() << "weftc: error: " << error << "\n";
    return 1;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());

  DialectRegistry registry;
  backend::registerWeftDialects(registry);
  MLIRContext context(registry);
  // A model author needs the source line, not a dump of the failing op;
  // weft-opt keeps MLIR's default for compiler developers.
  context.printOpOnDiagnostic(false);
  // Pass errors point into the model file, with its source line and caret.
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  // Errors of no source line (a CUDA tool that failed) read like the
  // driver's own.
  ScopedDiagnosticHandler locationless(&context, [](Diagnostic &diagnostic) {
    if (!isa<UnknownLoc>(diagnostic.getLocation()) ||
        diagnostic.getSeverity() != DiagnosticSeverity::Error)
      return failure();
    llvm::errs() << "weftc: error: " << diagnostic << "\n";
    return success();
  });
  return compile(sourceMgr, context);
}
