//===- KernelCodegen.cpp - native kernels for ff.fused groups -------------===//
#include "targets/cpu/KernelCodegen.h"

#include "dialects/FF/IR/FFOps.h"
#include "runtime/cpu/KernelLibrary.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/Sequence.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

#include <map>

#include <unistd.h>

using namespace mlir;

namespace ffc {
namespace cpu {
namespace {

/// A structural key of a kernel group: identical bodies over identical types
/// share one kernel.
std::string kernelKey(ff::FusedOp fused) {
  std::string key;
  llvm::raw_string_ostream os(key);
  for (Type type : fused.getInputs().getTypes())
    os << type << ",";
  for (Type type : fused.getResultTypes())
    os << type << ",";
  os << "\n";
  OpPrintingFlags flags;
  flags.printGenericOpForm().useLocalScope();
  for (Operation &op : fused.getBodyBlock())
    op.print(os, flags), os << "\n";
  return key;
}

/// The scalar computation of one elementwise ff op on f32 values.
FailureOr<Value> scalarOf(OpBuilder &b, Location loc, Operation *op, ArrayRef<Value> x) {
  Type f32 = b.getF32Type();
  auto c = [&](double v) -> Value {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, v));
  };
  auto cmp = [&](arith::CmpFPredicate p, Value l, Value r) -> Value {
    return arith::CmpFOp::create(b, loc, p, l, r);
  };
  auto select = [&](Value cond, Value t, Value f) -> Value {
    return arith::SelectOp::create(b, loc, cond, t, f);
  };
  auto add = [&](Value l, Value r) -> Value { return arith::AddFOp::create(b, loc, l, r); };
  auto mul = [&](Value l, Value r) -> Value { return arith::MulFOp::create(b, loc, l, r); };
  auto div = [&](Value l, Value r) -> Value { return arith::DivFOp::create(b, loc, l, r); };
  auto maxf = [&](Value l, Value r) -> Value { return arith::MaximumFOp::create(b, loc, l, r); };
  auto minf = [&](Value l, Value r) -> Value { return arith::MinimumFOp::create(b, loc, l, r); };
  auto sigmoid = [&](Value v) -> Value {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, v));
    return div(c(1.0), add(c(1.0), e));
  };
  using arith::CmpFPredicate;
  return llvm::TypeSwitch<Operation *, FailureOr<Value>>(op)
      .Case([&](ff::AddOp) { return add(x[0], x[1]); })
      .Case([&](ff::SubOp) -> Value { return arith::SubFOp::create(b, loc, x[0], x[1]); })
      .Case([&](ff::MulOp) { return mul(x[0], x[1]); })
      .Case([&](ff::DivOp) { return div(x[0], x[1]); })
      .Case([&](ff::ReluOp) { return select(cmp(CmpFPredicate::OGT, x[0], c(0)), x[0], c(0)); })
      .Case([&](ff::SigmoidOp) { return sigmoid(x[0]); })
      .Case([&](ff::HardSwishOp) {
        return div(mul(x[0], minf(maxf(add(x[0], c(3)), c(0)), c(6))), c(6));
      })
      .Case([&](ff::HardSigmoidOp o) {
        Value z = add(mul(c(o.getAlphaAttr().getValueAsDouble()), x[0]),
                      c(o.getBetaAttr().getValueAsDouble()));
        return maxf(c(0), minf(c(1), z));
      })
      .Case([&](ff::ClipOp o) {
        return minf(maxf(x[0], c(o.getMinAttr().getValueAsDouble())),
                    c(o.getMaxAttr().getValueAsDouble()));
      })
      .Case([&](ff::ReluGradOp) {
        return select(cmp(CmpFPredicate::OGT, x[0], c(0)), x[1], c(0));
      })
      .Case([&](ff::SigmoidGradOp) {
        Value s = sigmoid(x[0]);
        return mul(mul(x[1], s), arith::SubFOp::create(b, loc, c(1), s));
      })
      .Case([&](ff::HardSwishGradOp) {
        Value inner = div(mul(x[1], add(mul(c(2), x[0]), c(3))), c(6));
        Value upper = select(cmp(CmpFPredicate::OLE, x[0], c(3)), inner, x[1]);
        return select(cmp(CmpFPredicate::OLT, x[0], c(-3)), c(0), upper);
      })
      .Case([&](ff::HardSigmoidGradOp o) {
        Value a = c(o.getAlphaAttr().getValueAsDouble());
        Value z = add(mul(a, x[0]), c(o.getBetaAttr().getValueAsDouble()));
        Value inside = arith::AndIOp::create(b, loc, cmp(CmpFPredicate::OGT, z, c(0)),
                                             cmp(CmpFPredicate::OLT, z, c(1)));
        return select(inside, mul(x[1], a), c(0));
      })
      .Case([&](ff::ClipGradOp o) {
        Value lo = c(o.getMinAttr().getValueAsDouble());
        Value hi = c(o.getMaxAttr().getValueAsDouble());
        Value inside = arith::AndIOp::create(b, loc, cmp(CmpFPredicate::OGT, x[0], lo),
                                             cmp(CmpFPredicate::OLT, x[0], hi));
        return select(inside, x[1], c(0));
      })
      .Default([&](Operation *o) -> FailureOr<Value> {
        return o->emitOpError("has no scalar form in the CPU kernel codegen"), failure();
      });
}

/// Builds `func.func @name(inputs..., results..., %begin, %end)`: one
/// linalg.generic over rows [begin, end) of the iteration space. Results of
/// reductions are outputs indexed by the kept dimensions only, zeroed first
/// and accumulated with reassociable adds (so that the loop vectorises).
LogicalResult buildKernel(OpBuilder &b, ff::FusedOp fused, StringRef name) {
  Location loc = fused.getLoc();
  MLIRContext *ctx = b.getContext();
  RankedTensorType spaceType = fused.getIterationType();
  ArrayRef<int64_t> space = spaceType.getShape();
  Type f32 = b.getF32Type();
  // The reduction computing each result, if any.
  SmallVector<Operation *> reductionOf;
  for (Value v : fused.getYield().getValues()) {
    Operation *def = v.getDefiningOp();
    reductionOf.push_back(def && ff::FusedOp::isFusibleReduction(def) ? def : nullptr);
  }

  // Every buffer's shape, padded with leading 1s to the iteration rank.
  SmallVector<SmallVector<int64_t>> aligned;
  auto addBuffer = [&](ArrayRef<int64_t> dims) {
    SmallVector<int64_t> a(space.size() - dims.size(), 1);
    a.append(dims.begin(), dims.end());
    aligned.push_back(a);
  };
  for (Value input : fused.getInputs())
    addBuffer(cast<RankedTensorType>(input.getType()).getShape());
  for (Operation *reduction : reductionOf)
    if (reduction)
      aligned.push_back(ff::FusedOp::reducedShape(reduction));
    else
      addBuffer(space);
  size_t numBuffers = aligned.size();
  size_t numInputs = fused.getInputs().size();
  auto isReduced = [&](size_t k) { return k >= numInputs && reductionOf[k - numInputs]; };
  auto broadcast = [&](size_t k, size_t d) { return aligned[k][d] == 1 && space[d] != 1; };

  // The kernel iterates over a collapsed space: dimension 0 (the rows the
  // runtime splits across threads), then runs of adjacent dimensions over
  // which every buffer is either read whole or broadcast; dimensions of size
  // 1 vanish. Row-major buffers keep their layout under this view, and the
  // innermost loop runs over as many contiguous elements as possible.
  SmallVector<SmallVector<size_t>> groups{{0}};
  for (size_t d = 1; d < space.size(); ++d) {
    if (space[d] == 1)
      continue;
    bool extends = groups.size() > 1 && llvm::all_of(llvm::seq<size_t>(0, numBuffers), [&](size_t k) {
                     return broadcast(k, d) == broadcast(k, groups.back().back());
                   });
    if (extends)
      groups.back().push_back(d);
    else
      groups.push_back({d});
  }
  int64_t rank = groups.size();
  // Reduction results drop the reduced groups (their maps are projections).
  auto keeps = [&](size_t k, int64_t g) { return !isReduced(k) || !broadcast(k, groups[g].front()); };
  auto collapsedShape = [&](size_t k) {
    SmallVector<int64_t> dims;
    for (auto [g, group] : llvm::enumerate(groups)) {
      if (!keeps(k, g))
        continue;
      int64_t size = 1;
      for (size_t d : group)
        size *= aligned[k][d];
      dims.push_back(size);
    }
    return dims;
  };

  SmallVector<Type> argTypes;
  for (size_t k = 0; k < numBuffers; ++k)
    argTypes.push_back(MemRefType::get(collapsedShape(k), f32));
  argTypes.push_back(b.getIndexType());
  argTypes.push_back(b.getIndexType());
  auto func = func::FuncOp::create(b, loc, name, b.getFunctionType(argTypes, {}));
  // Results are fresh buffers and inputs are only read: no store can be seen
  // through another argument.
  for (size_t i = 0; i < numBuffers; ++i)
    func.setArgAttr(i, "llvm.noalias", UnitAttr::get(ctx));
  Block *entry = func.addEntryBlock();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(entry);
  Value begin = entry->getArgument(numBuffers), end = entry->getArgument(numBuffers + 1);
  Value rows = arith::SubIOp::create(b, loc, end, begin);

  // Rows [begin, end) of every buffer that spans dimension 0; broadcast
  // inputs are read whole.
  SmallVector<Value> views;
  SmallVector<AffineMap> maps;
  for (size_t k = 0; k < numBuffers; ++k) {
    Value buffer = entry->getArgument(k);
    ArrayRef<int64_t> dims = cast<MemRefType>(buffer.getType()).getShape();
    SmallVector<AffineExpr> exprs;
    for (int64_t g = 0; g < rank; ++g) {
      if (!keeps(k, g))
        continue;
      exprs.push_back(broadcast(k, groups[g].front()) ? getAffineConstantExpr(0, ctx)
                                                      : getAffineDimExpr(g, ctx));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
    if (!broadcast(k, 0)) {
      int64_t bufferRank = dims.size();
      SmallVector<OpFoldResult> offsets(bufferRank, b.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes, strides(bufferRank, b.getIndexAttr(1));
      offsets[0] = begin;
      sizes.push_back(rows);
      for (int64_t g = 1; g < bufferRank; ++g)
        sizes.push_back(b.getIndexAttr(dims[g]));
      buffer = memref::SubViewOp::create(b, loc, buffer, offsets, sizes, strides);
    }
    if (isReduced(k)) // accumulated into: starts at zero
      linalg::FillOp::create(b, loc, ValueRange{arith::ConstantOp::create(
                                         b, loc, b.getFloatAttr(f32, 0.0))},
                             ValueRange{buffer});
    views.push_back(buffer);
  }
  // A group of dimensions is a reduction when some result is reduced over it.
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  for (size_t k = numInputs; k < numBuffers; ++k)
    for (int64_t g = 0; g < rank; ++g)
      if (!keeps(k, g))
        iterators[g] = utils::IteratorType::reduction;
  LogicalResult status = success();
  linalg::GenericOp::create(
      b, loc, TypeRange{}, ValueRange(views).take_front(numInputs),
      ValueRange(views).drop_front(numInputs), maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        IRMapping mapping;
        for (auto [arg, scalar] :
             llvm::zip(fused.getBodyBlock().getArguments(), args.take_front(numInputs)))
          mapping.map(arg, scalar);
        for (Operation &op : fused.getBodyBlock().without_terminator()) {
          if (ff::FusedOp::isFusibleReduction(&op))
            continue; // accumulated at the yield
          SmallVector<Value> operands;
          for (Value v : op.getOperands())
            operands.push_back(mapping.lookup(v));
          FailureOr<Value> value = scalarOf(nb, op.getLoc(), &op, operands);
          if (failed(value)) {
            status = failure();
            value = operands.front();
          }
          mapping.map(op.getResult(0), *value);
        }
        SmallVector<Value> yielded;
        auto fast = arith::FastMathFlagsAttr::get(
            nb.getContext(), arith::FastMathFlags::reassoc | arith::FastMathFlags::contract);
        for (auto [i, v] : llvm::enumerate(fused.getYield().getValues())) {
          Operation *reduction = reductionOf[i];
          if (!reduction) {
            yielded.push_back(mapping.lookup(v));
            continue;
          }
          Value term = mapping.lookup(reduction->getOperand(0));
          if (ff::FusedOp::reductionSquares(reduction))
            term = arith::MulFOp::create(nb, nloc, term, term, fast);
          double scale = ff::FusedOp::reductionScale(reduction);
          if (scale != 1.0)
            term = arith::MulFOp::create(
                nb, nloc, term,
                arith::ConstantOp::create(nb, nloc, nb.getFloatAttr(f32, scale)), fast);
          yielded.push_back(
              arith::AddFOp::create(nb, nloc, args[numInputs + i], term, fast));
        }
        linalg::YieldOp::create(nb, nloc, yielded);
      });
  func::ReturnOp::create(b, loc);
  return status;
}

FailureOr<std::unique_ptr<llvm::TargetMachine>> createTargetMachine(ModuleOp where,
                                                                    StringRef cpu) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return where.emitError() << "no LLVM target for " << triple.str() << ": " << error;
  std::string cpuName = cpu.str(), features;
  if (cpu == "native") {
    cpuName = llvm::sys::getHostCPUName().str();
    std::vector<std::string> list;
    for (auto &feature : llvm::sys::getHostCPUFeatures())
      list.push_back((feature.second ? "+" : "-") + feature.first().str());
    features = llvm::join(list, ",");
  }
  if (!target->hasTargetMachine())
    return where.emitError() << "LLVM target " << triple.str() << " cannot generate code";
  std::unique_ptr<llvm::MCSubtargetInfo> probe(target->createMCSubtargetInfo(triple, "", ""));
  if (!probe || !probe->isCPUStringValid(cpuName))
    return where.emitError() << "unknown target CPU '" << cpu
                             << "' (use 'native' or an LLVM CPU name such as x86-64-v3)";
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpuName, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return where.emitError() << "cannot create an LLVM target machine for CPU '" << cpuName
                             << "'";
  return machine;
}

/// Runs `program` with `args`; the error names the program and its output.
LogicalResult runTool(ModuleOp where, StringRef program, ArrayRef<StringRef> args) {
  llvm::SmallString<128> log;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("ffc-link", "log", fd, log))
    return where.emitError() << "cannot create a temporary file for the linker's output";
  ::close(fd);
  std::optional<StringRef> redirects[] = {std::nullopt, log.str(), log.str()};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(program, args, std::nullopt, redirects, 0, 0, &error);
  std::string output;
  if (auto buffer = llvm::MemoryBuffer::getFile(log))
    output = (*buffer)->getBuffer().trim().str();
  llvm::sys::fs::remove(log);
  if (rc != 0)
    return where.emitError() << "linking the CPU kernels with '" << program << "' failed"
                             << (error.empty() ? "" : ": " + error)
                             << (output.empty() ? "" : ":\n" + output);
  return success();
}

} // namespace

FailureOr<OwningOpRef<ModuleOp>> buildKernelModule(ModuleOp module, KernelTable &table) {
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<func::FuncDialect, memref::MemRefDialect, linalg::LinalgDialect,
                   arith::ArithDialect, math::MathDialect, affine::AffineDialect,
                   scf::SCFDialect>();
  OwningOpRef<ModuleOp> kernels = ModuleOp::create(module.getLoc(), "ffc_kernels");
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(kernels->getBody());
  std::map<std::string, int32_t> byKey;
  LogicalResult status = success();
  module.walk([&](ff::FusedOp fused) {
    auto [it, fresh] = byKey.emplace(kernelKey(fused), int32_t(table.symbols.size()));
    if (fresh) {
      std::string symbol = "ffc_kernel_" + std::to_string(it->second);
      table.symbols.push_back(symbol);
      table.groups.push_back(fused);
      if (failed(buildKernel(b, fused, symbol)))
        status = failure();
    }
    if (!table.indexOf.try_emplace(fused.getKernel(), it->second).second &&
        table.indexOf.lookup(fused.getKernel()) != it->second) {
      fused.emitError() << "two different kernel groups are both named '" << fused.getKernel()
                        << "'";
      status = failure();
    }
  });
  if (failed(status))
    return failure();
  return kernels;
}

namespace {
/// lowerKernelModule for a target machine made already.
FailureOr<std::unique_ptr<llvm::Module>> lowerFor(ModuleOp kernels, llvm::LLVMContext &llvmContext,
                                                  llvm::TargetMachine &machine,
                                                  KernelTable &table) {
  MLIRContext *ctx = kernels.getContext();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  ctx->appendDialectRegistry(registry);
  ctx->loadDialect<LLVM::LLVMDialect>();

  PassManager pm(ctx);
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  ConvertFuncToLLVMPassOptions funcOptions;
  funcOptions.useBarePtrCallConv = true;
  pm.addPass(createConvertFuncToLLVMPass(funcOptions));
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (failed(pm.run(kernels)))
    return kernels.emitError() << "lowering the CPU kernels to the LLVM dialect failed";

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(kernels, llvmContext, "ffc_kernels");
  if (!llvmModule)
    return kernels.emitError() << "translating the CPU kernels to LLVM IR failed";
  llvmModule->setTargetTriple(machine.getTargetTriple());
  llvmModule->setDataLayout(machine.createDataLayout());

  // The ABI entries: `void NAME(void **buffers, int64_t begin, int64_t end)`
  // around each kernel body, which is inlined into it.
  llvm::Type *ptr = llvm::PointerType::getUnqual(llvmContext);
  llvm::Type *i64 = llvm::Type::getInt64Ty(llvmContext);
  auto *entryType = llvm::FunctionType::get(llvm::Type::getVoidTy(llvmContext),
                                            {ptr, i64, i64}, false);
  for (const std::string &symbol : table.symbols) {
    llvm::Function *body = llvmModule->getFunction(symbol);
    if (!body)
      return kernels.emitError() << "kernel '" << symbol << "' vanished in lowering";
    body->setName(symbol + ".body");
    body->setLinkage(llvm::GlobalValue::InternalLinkage);
    body->addFnAttr(llvm::Attribute::AlwaysInline);
    auto *entry = llvm::Function::Create(entryType, llvm::GlobalValue::ExternalLinkage,
                                         symbol, *llvmModule);
    llvm::IRBuilder<> ir(llvm::BasicBlock::Create(llvmContext, "entry", entry));
    SmallVector<llvm::Value *> args;
    unsigned numBuffers = body->arg_size() - 2;
    for (unsigned i = 0; i < numBuffers; ++i)
      args.push_back(
          ir.CreateLoad(ptr, ir.CreateConstInBoundsGEP1_64(ptr, entry->getArg(0), i)));
    args.push_back(entry->getArg(1));
    args.push_back(entry->getArg(2));
    ir.CreateCall(body, args);
    ir.CreateRetVoid();
  }

  // The CPU on every function, so that the IR says what it was optimised for.
  for (llvm::Function &function : *llvmModule) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", machine.getTargetCPU());
    if (!machine.getTargetFeatureString().empty())
      function.addFnAttr("target-features", machine.getTargetFeatureString());
  }

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder builder(&machine);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3).run(*llvmModule, mam);

  table.cpu = machine.getTargetCPU().str();
  table.features.clear();
  for (const char *feature : ffrt::cpu::kCpuFeatures)
    if (machine.getMCSubtargetInfo()->checkFeatures(std::string("+") + feature))
      table.features.push_back(feature);
  return llvmModule;
}
} // namespace

FailureOr<std::unique_ptr<llvm::Module>> lowerKernelModule(ModuleOp kernels,
                                                           llvm::LLVMContext &llvmContext,
                                                           StringRef cpu, KernelTable &table) {
  FailureOr<std::unique_ptr<llvm::TargetMachine>> machine = createTargetMachine(kernels, cpu);
  if (failed(machine))
    return failure();
  return lowerFor(kernels, llvmContext, **machine, table);
}

LogicalResult compileKernels(ModuleOp module, StringRef cpu, KernelTable &table) {
  FailureOr<OwningOpRef<ModuleOp>> kernels = buildKernelModule(module, table);
  if (failed(kernels))
    return failure();
  if (table.symbols.empty())
    return success();
  FailureOr<std::unique_ptr<llvm::TargetMachine>> machine = createTargetMachine(module, cpu);
  if (failed(machine))
    return failure();
  llvm::LLVMContext llvmContext;
  FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
      lowerFor(**kernels, llvmContext, **machine, table);
  if (failed(llvmModule))
    return failure();

  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager codegen;
    if ((*machine)->addPassesToEmitFile(codegen, os, nullptr, llvm::CodeGenFileType::ObjectFile))
      return module.emitError() << "LLVM cannot emit object code for this target";
    codegen.run(**llvmModule);
  }

  // Link the object into a shared object with the system linker.
  llvm::SmallString<128> objectPath, libraryPath;
  int fd;
  if (llvm::sys::fs::createTemporaryFile("ffc-kernels", "o", fd, objectPath))
    return module.emitError() << "cannot create a temporary file for the CPU kernels";
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    os.write(object.data(), object.size());
  }
  auto removeObject = llvm::make_scope_exit([&] { llvm::sys::fs::remove(objectPath); });
  if (llvm::sys::fs::createTemporaryFile("ffc-kernels", "so", fd, libraryPath))
    return module.emitError() << "cannot create a temporary file for the CPU kernels";
  ::close(fd);
  auto removeLibrary = llvm::make_scope_exit([&] { llvm::sys::fs::remove(libraryPath); });
  llvm::ErrorOr<std::string> linker = llvm::sys::findProgramByName("ld");
  if (!linker)
    return module.emitError() << "the CPU kernels need a linker: 'ld' is not on the PATH "
                                 "(Debian package binutils)";
  if (failed(runTool(module, *linker,
                     {"ld", "-shared", "--hash-style=gnu", "-z", "noexecstack", "-o",
                      libraryPath.str(), objectPath.str()})))
    return failure();
  auto library = llvm::MemoryBuffer::getFile(libraryPath);
  if (!library)
    return module.emitError() << "cannot read the linked CPU kernels: "
                              << library.getError().message();
  table.sharedObject = (*library)->getBuffer().str();
  return success();
}

} // namespace cpu
} // namespace ffc
