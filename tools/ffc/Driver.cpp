//===- Driver.cpp - the ffc compiler driver -------------------------------===//
#include "tools/ffc/Driver.h"

#include "dialects/FF/IR/FFDialect.h"
#include "frontend/onnx/OnnxImporter.h"
#include "frontend/zoo/Zoo.h"
#include "passes/MemoryReport.h"
#include "passes/Pipeline.h"
#include "targets/cpu/ArtifactWriter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <onnx/onnx_pb.h>

#include <functional>

#ifndef FFC_CUDA_VERSION
#define FFC_CUDA_VERSION "not found at build time"
#endif

using namespace mlir;
namespace cl = llvm::cl;

namespace ffc {
namespace {

std::string phaseList() {
  std::vector<std::string> names;
  for (const PhaseInfo &p : phases())
    names.push_back(p.name);
  return llvm::join(names, ", ");
}

struct Options {
  cl::OptionCategory category{"ffc options"};
  cl::opt<std::string> model{
      cl::Positional, cl::desc("<model: file.onnx | file.mlir | zoo:NAME>"),
      cl::cat(category)};
  cl::opt<std::string> output{
      "o",
      cl::desc("Output file: IR phases default to stdout ('-'), the artifact to "
               "MODEL.ffx in the current directory"),
      cl::value_desc("file"), cl::init(""), cl::cat(category)};
  cl::opt<std::string> compileTo{
      "compile-to",
      cl::desc("Stop after this phase and write its result: import, partition, "
               "local-loss, autodiff, optimizer, schedule, fuse (IR), kernels (the "
               "generated kernels in upstream MLIR), kernels-llvm (their optimised "
               "LLVM IR), or artifact (the .ffx that ff-run loads; the default)"),
      cl::value_desc("phase"), cl::init("artifact"), cl::cat(category)};
  cl::opt<std::string> dumpPhasesTo{
      "dump-compilation-phases-to",
      cl::desc("Write the IR after every phase into this directory"),
      cl::value_desc("dir"), cl::cat(category)};
  cl::opt<int64_t> batch{
      "batch",
      cl::desc("Batch size (dimension 0 of the model input); default: the "
               "model's own, or 1 where it is dynamic"),
      cl::init(0), cl::cat(category)};
  cl::opt<std::string> inputShape{
      "input-shape",
      cl::desc("zoo models: input shape CxHxW (default 1x28x28)"),
      cl::value_desc("CxHxW"), cl::cat(category)};
  cl::opt<int64_t> classes{"classes",
                           cl::desc("Number of classes of a zoo model (default 10) and of the local "
                                    "losses (default: the model's output width)"),
                           cl::init(0), cl::cat(category)};
  cl::opt<std::string> stem{
      "stem", cl::desc("zoo resnet18: 'imagenet' (default) or 'cifar' stem"),
      cl::cat(category)};
  cl::opt<uint64_t> seed{"seed", cl::desc("Seed of the initial values (zoo models, synthesized heads)"),
                         cl::init(0), cl::cat(category)};

  cl::OptionCategory trainCategory{"training options"};
  cl::opt<std::string> mode{
      "mode",
      cl::desc("Training method: sff-block (residual blocks, SFF loss), sff-layer "
               "(one block per layer, SFF loss) or bp (backpropagation)"),
      cl::init("sff-block"), cl::cat(trainCategory)};
  cl::opt<std::string> partition{
      "partition", cl::desc("Override the mode's partition: layer, residual, "
                            "scope, whole, manual"),
      cl::cat(trainCategory)};
  cl::opt<unsigned> scopeDepth{"scope-depth",
                               cl::desc("Module-path depth for --partition=scope"),
                               cl::init(2), cl::cat(trainCategory)};
  cl::list<std::string> boundaries{
      "boundaries", cl::desc("--partition=manual: ONNX node names that end blocks"),
      cl::CommaSeparated, cl::cat(trainCategory)};
  cl::opt<bool> keepClassifier{
      "keep-classifier",
      cl::desc("SFF modes: keep the model's classifier as a last block (bp head)"),
      cl::cat(trainCategory)};
  cl::opt<std::string> loss{"loss", cl::desc("Override the mode's loss: sff, cwcomp, ff, bp"),
                            cl::cat(trainCategory)};
  cl::opt<double> margin{"margin", cl::desc("SFF margin m (default 0)"), cl::init(0.0),
                         cl::cat(trainCategory)};
  cl::opt<int64_t> auxKernel{"aux-kernel",
                             cl::desc("Kernel size of SFF's auxiliary convolution (default 1)"),
                             cl::init(1), cl::cat(trainCategory)};
  cl::opt<std::string> norm{"norm",
                            cl::desc("Normalisation between blocks: layer, channel, none"),
                            cl::init("layer"), cl::cat(trainCategory)};
  cl::opt<std::string> auxInput{
      "aux-input", cl::desc("The aux head reads the block output before (pre) or after (post) the normalisation"),
      cl::init("pre"), cl::cat(trainCategory)};
  cl::opt<std::string> vote{"vote", cl::desc("Inference vote: all or last"),
                            cl::init("all"), cl::cat(trainCategory)};
  cl::opt<bool> voteSoftmax{"vote-softmax", cl::desc("Softmax each vote before averaging"),
                            cl::cat(trainCategory)};
  cl::opt<double> theta{"theta", cl::desc("--loss=ff: goodness threshold theta (default 2)"),
                        cl::init(2.0), cl::cat(trainCategory)};
  cl::opt<std::string> goodness{
      "goodness",
      cl::desc("--loss=ff: a layer's goodness per sample, mean (default) or sum of its "
               "squared activities"),
      cl::init("mean"), cl::cat(trainCategory)};
  cl::opt<double> labelScale{
      "label-scale", cl::desc("--loss=ff: value of the one-hot label in the first K inputs"),
      cl::init(1.0), cl::cat(trainCategory)};
  cl::opt<std::string> optimizer{"optimizer", cl::desc("sgd, adam or adamw (default adam)"),
                                 cl::init("adam"), cl::cat(trainCategory)};
  cl::opt<double> momentum{"momentum", cl::desc("SGD momentum"), cl::init(0.0),
                           cl::cat(trainCategory)};
  cl::opt<bool> nesterov{"nesterov", cl::desc("SGD with Nesterov momentum"),
                         cl::cat(trainCategory)};
  cl::opt<double> weightDecay{"weight-decay",
                              cl::desc("Weight decay (default 0, or 0.01 for adamw)"),
                              cl::init(-1.0), cl::cat(trainCategory)};
  cl::opt<double> beta1{"beta1", cl::desc("Adam beta1"), cl::init(0.9), cl::cat(trainCategory)};
  cl::opt<double> beta2{"beta2", cl::desc("Adam beta2"), cl::init(0.999), cl::cat(trainCategory)};
  cl::opt<double> adamEpsilon{"adam-epsilon", cl::desc("Adam epsilon"), cl::init(1e-8),
                              cl::cat(trainCategory)};
  cl::opt<bool> reportMemory{
      "report-memory",
      cl::desc("Print the high-water mark of live activation bytes of train_step "
               "(per block); the IR is then written only with -o"),
      cl::cat(trainCategory)};

  cl::OptionCategory targetCategory{"target options"};
  cl::opt<bool> fuse{"fuse",
                     cl::desc("Group elementwise ops into generated kernels (ff-fuse; "
                              "default on). --fuse=false runs every op as the runtime's "
                              "reference kernel"),
                     cl::init(true), cl::cat(targetCategory)};
  cl::opt<std::string> targetCpu{
      "target-cpu",
      cl::desc("CPU the generated kernels are compiled for: native (this machine, the "
               "default) or an LLVM CPU name such as x86-64-v3"),
      cl::init("native"), cl::cat(targetCategory)};

  TrainingOptions training() const {
    TrainingOptions t;
    t.fuse = fuse;
    t.mode = mode;
    t.partition = partition;
    t.scopeDepth = scopeDepth;
    t.boundaries.assign(boundaries.begin(), boundaries.end());
    t.keepClassifier = keepClassifier;
    t.loss = loss;
    t.classes = classes;
    t.margin = margin;
    t.auxKernel = auxKernel;
    t.norm = norm;
    t.auxInput = auxInput;
    t.vote = vote;
    t.voteSoftmax = voteSoftmax;
    t.theta = theta;
    t.goodness = goodness;
    t.labelScale = labelScale;
    t.seed = seed;
    t.optimizer = optimizer;
    t.momentum = momentum;
    t.nesterov = nesterov;
    t.weightDecay = weightDecay;
    t.beta1 = beta1;
    t.beta2 = beta2;
    t.epsilon = adamEpsilon;
    return t;
  }
};

void printVersion(llvm::raw_ostream &os) {
  os << "ffc " << ffc::revision() << "\n"
     << "MLIR " << LLVM_VERSION_STRING << "\n"
     << "CUDA " << FFC_CUDA_VERSION << "\n";
}

/// Reports an error that has no IR location, in the same shape as MLIR's.
int fail(const llvm::Twine &message) {
  llvm::errs() << "ffc: error: " << message << "\n";
  return 1;
}

bool parseShape(llvm::StringRef text, int64_t &c, int64_t &h, int64_t &w) {
  llvm::SmallVector<llvm::StringRef, 3> parts;
  text.split(parts, 'x');
  if (parts.size() != 3)
    return false;
  int64_t *dims[] = {&c, &h, &w};
  for (int i = 0; i < 3; ++i)
    if (parts[i].getAsInteger(10, *dims[i]) || *dims[i] <= 0)
      return false;
  return true;
}

OwningOpRef<ModuleOp> loadModel(Options &opts, MLIRContext &context,
                                llvm::SourceMgr &sourceMgr) {
  llvm::StringRef model = opts.model;
  frontend::OnnxImportOptions importOptions;
  importOptions.batch = opts.batch;
  bool isZoo = model.starts_with("zoo:");
  if (!isZoo && (!opts.inputShape.empty() || !opts.stem.empty())) {
    fail("--input-shape and --stem apply to zoo models (zoo:NAME) only");
    return nullptr;
  }
  if (isZoo) {
    zoo::ZooOptions zooOptions;
    zooOptions.model = model.drop_front(4).str();
    if (!opts.inputShape.empty() &&
        !parseShape(opts.inputShape, zooOptions.channels, zooOptions.height,
                    zooOptions.width)) {
      fail("--input-shape='" + opts.inputShape +
           "' is not CxHxW with positive sizes (for example 3x32x32)");
      return nullptr;
    }
    if (opts.classes.getNumOccurrences())
      zooOptions.classes = opts.classes;
    if (!opts.stem.empty())
      zooOptions.stem = opts.stem;
    zooOptions.seed = opts.seed;
    onnx::ModelProto proto;
    std::string error;
    if (!zoo::buildModel(zooOptions, proto, error)) {
      fail(error);
      return nullptr;
    }
    return frontend::importOnnxModel(proto, model, context, importOptions);
  }
  if (!llvm::sys::fs::exists(model)) {
    fail("model file '" + model + "' does not exist");
    return nullptr;
  }
  if (model.ends_with(".mlir")) {
    if (opts.batch.getNumOccurrences()) {
      fail("--batch applies to ONNX and zoo models; a .mlir model has its shapes");
      return nullptr;
    }
    std::string error;
    auto file = openInputFile(model, &error);
    if (!file) {
      fail(error);
      return nullptr;
    }
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    return parseSourceFile<ModuleOp>(sourceMgr, &context);
  }
  return frontend::importOnnxFile(model, context, importOptions);
}

/// Writes `module` to `path` ('-' is stdout); ToolOutputFile removes the file
/// again if ffc fails or is interrupted before `keep()`, so no half-written
/// output is left behind.
LogicalResult writeModule(ModuleOp module, llvm::StringRef path) {
  std::string error;
  auto out = openOutputFile(path, &error);
  if (!out) {
    fail(error);
    return failure();
  }
  module.print(out->os(), OpPrintingFlags());
  out->keep();
  return success();
}

/// Model files that are not text (ONNX) have no line and column: print their
/// diagnostics as `FILE: error: message` instead of `FILE:0:0: ...`. Other
/// locations go on to the SourceMgr handler, which shows the .mlir source line.
LogicalResult printModelFileDiagnostic(Diagnostic &diag) {
  Location loc = diag.getLocation();
  // Backward ops carry fused<"grad">[forward loc]; forward ops NameLoc(node).
  while (true) {
    if (auto fused = dyn_cast<FusedLoc>(loc); fused && fused.getLocations().size() == 1)
      loc = fused.getLocations().front();
    else if (auto name = dyn_cast<NameLoc>(loc))
      loc = name.getChildLoc();
    else
      break;
  }
  auto file = dyn_cast<FileLineColLoc>(loc);
  if (!file || file.getLine() != 0)
    return failure();
  llvm::errs() << file.getFilename().getValue() << ": ";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    llvm::errs() << "error: ";
    break;
  case DiagnosticSeverity::Warning:
    llvm::errs() << "warning: ";
    break;
  case DiagnosticSeverity::Note:
    llvm::errs() << "note: ";
    break;
  case DiagnosticSeverity::Remark:
    llvm::errs() << "remark: ";
    break;
  }
  llvm::errs() << diag.str() << "\n";
  for (Diagnostic &note : diag.getNotes())
    llvm::errs() << "  note: " << note.str() << "\n";
  return success();
}

} // namespace

int runFfcMain(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  Options opts;
  cl::SetVersionPrinter(printVersion);
  // MLIR's context and pass-manager flags (--mlir-print-ir-after-all,
  // --mlir-timing, ...) stay available under their own heading; the hundreds
  // of LLVM backend flags libLLVM registers stay out of --help.
  cl::OptionCategory mlirCategory{"MLIR debugging options"};
  for (auto &entry : cl::getRegisteredOptions())
    if (entry.first.starts_with("mlir-"))
      entry.second->addCategory(mlirCategory);
  cl::HideUnrelatedOptions({&opts.category, &opts.trainCategory, &opts.targetCategory,
                           &mlirCategory});
  cl::ParseCommandLineOptions(
      argc, argv,
      "ffc: compiles neural-network models into local-loss (Forward-Forward) "
      "training programs\n\n"
      "  ffc MODEL [--compile-to=PHASE] [-o FILE]\n"
      "MODEL is an ONNX file, an ff-dialect .mlir file, or zoo:NAME for a built-in "
      "model (mlp, cnn4, resnet18, mobilenet_v3_small, mobilenet_v3_large).\n");

  if (opts.model.empty())
    return fail("no model given; usage: ffc MODEL [--compile-to=PHASE] [-o FILE] "
                "(see --help)");
  const PhaseInfo *stopAfter = nullptr;
  for (const PhaseInfo &p : phases())
    if (opts.compileTo == p.name)
      stopAfter = &p;
  if (!stopAfter)
    return fail("unknown phase '" + opts.compileTo + "' for --compile-to; phases: " +
                phaseList());
  if (opts.reportMemory && stopAfter->phase < Phase::Schedule)
    return fail("--report-memory analyses train_step: it needs --compile-to=schedule "
                "or artifact");
  if (opts.batch < 0)
    return fail("--batch must be positive");

  DialectRegistry registry;
  registry.insert<ff::FFDialect, func::FuncDialect>();
  MLIRContext context(registry);
  context.loadAllAvailableDialects();
  // Diagnostics name the model's nodes; the op dump would only repeat them.
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  ScopedDiagnosticHandler modelFileHandler(&context, printModelFileDiagnostic);

  OwningOpRef<ModuleOp> module = loadModel(opts, context, sourceMgr);
  if (!module)
    return 1;
  if (failed(verify(*module)))
    return 1;

  TrainingOptions training = opts.training();
  if (!opts.dumpPhasesTo.empty())
    if (auto ec = llvm::sys::fs::create_directories(opts.dumpPhasesTo))
      return fail("cannot create '" + opts.dumpPhasesTo + "': " + ec.message());
  for (const PhaseInfo &phase : phases()) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 1;
    std::string error;
    if (!addPhasePasses(pm, phase.phase, training, error))
      return fail(error);
    if (failed(pm.run(*module))) {
      llvm::errs() << "ffc: error: phase '" << phase.name
                   << "' failed (rerun with --compile-to=" << phase.name
                   << " --mlir-pass-pipeline-crash-reproducer=FILE for a reproducer)\n";
      return 1;
    }
    // The target phases change no ff IR: they print or write their own output.
    if (!opts.dumpPhasesTo.empty() && phase.phase < Phase::Kernels) {
      llvm::SmallString<256> path(opts.dumpPhasesTo);
      llvm::sys::path::append(path, std::to_string(static_cast<int>(phase.phase)) +
                                        "-" + phase.name + ".mlir");
      if (failed(writeModule(*module, path)))
        return 1;
    }
    if (phase.phase == stopAfter->phase)
      break;
  }
  if (opts.reportMemory) {
    auto step = module->lookupSymbol<func::FuncOp>("train_step");
    printMemoryReport(analyzeActivationMemory(step), "train_step", llvm::outs());
    if (opts.output.empty() && stopAfter->phase != Phase::Artifact)
      return 0;
  }
  if (stopAfter->phase == Phase::Kernels || stopAfter->phase == Phase::KernelsLLVM) {
    cpu::KernelTable table;
    FailureOr<OwningOpRef<ModuleOp>> kernels = cpu::buildKernelModule(*module, table);
    if (failed(kernels))
      return 1;
    std::string out = opts.output.empty() ? std::string("-") : std::string(opts.output);
    if (stopAfter->phase == Phase::Kernels)
      return failed(writeModule(**kernels, out)) ? 1 : 0;
    llvm::LLVMContext llvmContext;
    FailureOr<std::unique_ptr<llvm::Module>> ir =
        cpu::lowerKernelModule(**kernels, llvmContext, opts.targetCpu, table);
    if (failed(ir))
      return 1;
    std::error_code ec;
    llvm::ToolOutputFile file(out, ec, llvm::sys::fs::OF_Text);
    if (ec)
      return fail("cannot write '" + out + "': " + ec.message());
    (*ir)->print(file.os(), nullptr);
    file.keep();
    return 0;
  }
  if (stopAfter->phase == Phase::Artifact) {
    std::string path = opts.output;
    if (path.empty()) {
      llvm::StringRef model = opts.model;
      if (model.starts_with("zoo:"))
        model = model.drop_front(4);
      path = (llvm::sys::path::stem(model) + ".ffx").str();
    }
    if (path == "-")
      return fail("the artifact is binary: give -o FILE.ffx");
    cpu::ArtifactInfo info;
    info.mode = opts.mode;
    info.producer = std::string("ffc ") + ffc::revision();
    info.targetCpu = opts.targetCpu;
    if (failed(cpu::writeArtifact(*module, path, info)))
      return 1;
    llvm::errs() << "ffc: wrote " << path << "\n";
    return 0;
  }
  std::string out = opts.output.empty() ? std::string("-") : std::string(opts.output);
  return failed(writeModule(*module, out)) ? 1 : 0;
}

} // namespace ffc
