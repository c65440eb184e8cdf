//===- SynthesizeOptimizer.cpp - parameter updates and optimizer state ----===//
//
// Replaces every ff.param_grad of @train with its parameter's update
// (ff.sgd_step or ff.adam_step, then ff.param_store of the new values), makes
// the learning rate a runtime input, keeps optimizer state in buffer params
// named after their parameter, and advances the running statistics of the
// training batch norms.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"

namespace ffc {
#define GEN_PASS_DEF_SYNTHESIZEOPTIMIZER
#include "passes/Passes.h.inc"
} // namespace ffc

using namespace mlir;
using namespace ffc;
using namespace ffc::ff;

namespace {

constexpr llvm::StringLiteral kPassName = "ff-synthesize-optimizer";

/// The hyper-parameters once the options are validated and defaulted.
struct OptimizerConfig {
  enum class Kind { SGD, Adam, AdamW };
  Kind kind = Kind::Adam;
  std::string name;
  double momentum = 0.0, weightDecay = 0.0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;

  bool isAdam() const { return kind != Kind::SGD; }
};

struct SynthesizeOptimizerPass
    : ffc::impl::SynthesizeOptimizerBase<SynthesizeOptimizerPass> {
  using SynthesizeOptimizerBase::SynthesizeOptimizerBase;

  void runOnOperation() override;

private:
  FailureOr<OptimizerConfig> readOptions(ModuleOp module);
  LogicalResult checkStructure(ModuleOp module, func::FuncOp train);
  FailureOr<ParamOp> createState(ParamOp param, StringRef suffix,
                                 Operation *insertAfter, Operation *user);
  LogicalResult updateBlock(BlockOp block, func::FuncOp train);

  OptimizerConfig config;
  std::optional<SymbolTable> symbols;
  /// Where each parameter's gradient was found (gradients are erased as
  /// they are replaced, so keep the block name and the location).
  struct GradSite {
    std::string block;
    Location loc;
  };
  llvm::StringMap<GradSite> gradOf;
};

FailureOr<OptimizerConfig>
SynthesizeOptimizerPass::readOptions(ModuleOp module) {
  OptimizerConfig c;
  c.name = optimizer;
  auto fail = [&]() { return module.emitError() << kPassName << ": "; };
  if (c.name == "sgd")
    c.kind = OptimizerConfig::Kind::SGD;
  else if (c.name == "adam")
    c.kind = OptimizerConfig::Kind::Adam;
  else if (c.name == "adamw")
    c.kind = OptimizerConfig::Kind::AdamW;
  else {
    fail() << "unknown optimizer '" << c.name
           << "'; accepted: sgd, adam, adamw";
    return failure();
  }
  c.momentum = momentum;
  c.nesterov = nesterov;
  c.beta1 = beta1;
  c.beta2 = beta2;
  c.epsilon = epsilon;
  if (c.momentum < 0.0) {
    fail() << "momentum must be non-negative, got " << c.momentum;
    return failure();
  }
  if (c.isAdam() && c.momentum != 0.0) {
    fail() << "momentum applies to optimizer=sgd only; " << c.name
           << " averages gradients with beta1 (got momentum=" << c.momentum
           << ")";
    return failure();
  }
  if (c.nesterov && c.isAdam()) {
    fail() << "nesterov applies to optimizer=sgd only, not " << c.name;
    return failure();
  }
  if (c.nesterov && c.momentum == 0.0) {
    fail() << "nesterov=true needs a momentum > 0 (e.g. momentum=0.9)";
    return failure();
  }
  for (auto [option, value] :
       {std::pair<StringRef, double>{"beta1", c.beta1}, {"beta2", c.beta2}})
    if (value < 0.0 || value >= 1.0) {
      fail() << option << " must be in [0, 1), got " << value;
      return failure();
    }
  if (c.epsilon <= 0.0) {
    fail() << "epsilon must be positive, got " << c.epsilon;
    return failure();
  }
  // -1 (the option's default) means the optimizer's usual default: AdamW's
  // decoupled decay is 0.01 in PyTorch, the coupled ones 0.
  if (weightDecay == -1.0)
    c.weightDecay = c.kind == OptimizerConfig::Kind::AdamW ? 0.01 : 0.0;
  else if (weightDecay < 0.0) {
    fail() << "weight-decay must be non-negative, got " << weightDecay;
    return failure();
  } else
    c.weightDecay = weightDecay;
  return c;
}

/// The pass runs once, after autodiff, on @train's blocks.
LogicalResult SynthesizeOptimizerPass::checkStructure(ModuleOp module,
                                                      func::FuncOp train) {
  if (module->hasAttr("ff.optimizer"))
    return module.emitError()
           << kPassName
           << ": the module already has an optimizer (ff.optimizer); "
              "the pass runs once";
  bool ok = true, anyGrad = false;
  module.walk([&](ParamGradOp grad) {
    anyGrad = true;
    auto block = grad->getParentOfType<BlockOp>();
    if (!block || block->getParentOfType<func::FuncOp>() != train) {
      grad.emitError() << kPassName << ": ff.param_grad of '" << grad.getName()
                       << "' outside an ff.block of @train; only block "
                          "gradients are trained";
      ok = false;
    }
  });
  train.walk([&](BatchNormOp norm) {
    if (norm.getTraining() && !norm->getParentOfType<BlockOp>()) {
      norm.emitError()
          << kPassName
          << ": training ff.batch_norm outside an ff.block; its running "
             "statistics would never be updated";
      ok = false;
    }
  });
  if (!ok)
    return failure();
  if (!anyGrad)
    return train.emitError() << kPassName
                             << ": @train has no ff.param_grad (run "
                                "ff-differentiate-blocks first)";
  return success();
}

/// Declares `<param>.<suffix>`, a zero-initialised buffer of the parameter's
/// type, right after `insertAfter`.
FailureOr<ParamOp> SynthesizeOptimizerPass::createState(ParamOp param,
                                                        StringRef suffix,
                                                        Operation *insertAfter,
                                                        Operation *user) {
  std::string name = (param.getSymName() + "." + suffix).str();
  if (Operation *existing = symbols->lookup(name)) {
    InFlightDiagnostic diag =
        user->emitError() << kPassName
                          << ": cannot create the optimizer state '" << name
                          << "' of parameter '" << param.getSymName()
                          << "': the module already has a symbol of that name";
    diag.attachNote(existing->getLoc()) << "the existing symbol";
    return failure();
  }
  OpBuilder builder(insertAfter->getContext());
  builder.setInsertionPointAfter(insertAfter);
  auto zeros = cast<ElementsAttr>(builder.getZeroAttr(param.getType()));
  auto state =
      ParamOp::create(builder, param.getLoc(), name, zeros, /*buffer=*/true);
  symbols->insert(state);
  return state;
}

LogicalResult SynthesizeOptimizerPass::updateBlock(BlockOp block,
                                                   func::FuncOp train) {
  MLIRContext *ctx = block.getContext();
  auto scalar = RankedTensorType::get({}, Float32Type::get(ctx));

  // The learning rate comes in as the block's last operand.
  Value lr = train.getArguments().back();
  block->insertOperands(block->getNumOperands(), lr);
  Value blockLr = block.getBodyBlock().addArgument(scalar, block.getLoc());

  SmallVector<ParamGradOp> grads;
  SmallVector<BatchNormOp> norms;
  block.walk([&](Operation *op) {
    if (auto grad = dyn_cast<ParamGradOp>(op))
      grads.push_back(grad);
    else if (auto norm = dyn_cast<BatchNormOp>(op); norm && norm.getTraining())
      norms.push_back(norm);
  });

  // Every parameter is trained by one gradient of one block.
  for (ParamGradOp grad : grads) {
    auto [it, inserted] = gradOf.try_emplace(
        grad.getName(), GradSite{block.getName().str(), grad.getLoc()});
    if (inserted)
      continue;
    InFlightDiagnostic diag = grad.emitError() << kPassName << ": parameter '"
                                               << grad.getName() << "' ";
    // Two blocks would each step the parameter with their own loss: tied
    // weights across gradient-isolated blocks have no single update.
    if (it->second.block != block.getName())
      diag << "is trained by two blocks ('" << it->second.block << "' and '"
           << block.getName()
           << "'); parameters shared across blocks are not supported";
    else
      diag << "has two ff.param_grad in block '" << block.getName()
           << "'; autodiff gives one gradient per parameter";
    diag.attachNote(it->second.loc) << "the first gradient";
    return failure();
  }

  // Updates go last, so that the whole backward pass reads the old values.
  OpBuilder builder(ctx);
  builder.setInsertionPoint(block.getYield());

  // Adam's bias correction counts the steps of each block.
  Value step;
  if (config.isAdam() && !grads.empty()) {
    std::string name = (block.getName() + ".step").str();
    if (Operation *existing = symbols->lookup(name)) {
      InFlightDiagnostic diag =
          block.emitError()
          << kPassName << ": cannot create the step counter '" << name
          << "' of block '" << block.getName()
          << "': the module already has a symbol of that name";
      diag.attachNote(existing->getLoc()) << "the existing symbol";
      return failure();
    }
    OpBuilder moduleBuilder(train);
    auto counter = ParamOp::create(
        moduleBuilder, block.getLoc(), name,
        cast<ElementsAttr>(moduleBuilder.getZeroAttr(scalar)), /*buffer=*/true);
    symbols->insert(counter);
    Location loc = block.getLoc();
    Value old = ParamRefOp::create(builder, loc, scalar, name);
    Value one = ConstantOp::create(
        builder, loc,
        DenseElementsAttr::get(scalar, builder.getF32FloatAttr(1.0f)));
    step = AddOp::create(builder, loc, old, one);
    ParamStoreOp::create(builder, loc, name, step);
  }

  for (ParamGradOp grad : grads) {
    Location loc = grad.getLoc();
    auto param = symbols->lookup<ParamOp>(grad.getName());
    RankedTensorType type = param.getType();
    Value value = ParamRefOp::create(builder, loc, type, param.getSymName());
    if (config.isAdam()) {
      FailureOr<ParamOp> m = createState(param, "adam_m", param, grad);
      if (failed(m))
        return failure();
      FailureOr<ParamOp> v = createState(param, "adam_v", *m, grad);
      if (failed(v))
        return failure();
      Value mValue = ParamRefOp::create(builder, loc, type, m->getSymName());
      Value vValue = ParamRefOp::create(builder, loc, type, v->getSymName());
      auto update = AdamStepOp::create(
          builder, loc, type, type, type, value, grad.getGradient(), mValue,
          vValue, blockLr, step, builder.getF64FloatAttr(config.beta1),
          builder.getF64FloatAttr(config.beta2),
          builder.getF64FloatAttr(config.epsilon),
          builder.getF64FloatAttr(config.weightDecay),
          config.kind == OptimizerConfig::Kind::AdamW ? builder.getUnitAttr()
                                                      : UnitAttr());
      ParamStoreOp::create(builder, loc, param.getSymName(),
                           update.getNewParam());
      ParamStoreOp::create(builder, loc, m->getSymName(),
                           update.getNewMoment1());
      ParamStoreOp::create(builder, loc, v->getSymName(),
                           update.getNewMoment2());
    } else if (config.momentum != 0.0) {
      FailureOr<ParamOp> buf =
          createState(param, "momentum_buffer", param, grad);
      if (failed(buf))
        return failure();
      Value bufValue =
          ParamRefOp::create(builder, loc, type, buf->getSymName());
      auto update = SGDStepOp::create(
          builder, loc, type, type, value, grad.getGradient(), blockLr,
          bufValue, builder.getF64FloatAttr(config.momentum),
          config.nesterov ? builder.getUnitAttr() : UnitAttr(),
          builder.getF64FloatAttr(config.weightDecay));
      ParamStoreOp::create(builder, loc, param.getSymName(),
                           update.getNewParam());
      ParamStoreOp::create(builder, loc, buf->getSymName(),
                           update.getNewBuffer());
    } else {
      auto update = SGDStepOp::create(
          builder, loc, type, Type(), value, grad.getGradient(), blockLr,
          Value(), builder.getF64FloatAttr(0.0), UnitAttr(),
          builder.getF64FloatAttr(config.weightDecay));
      ParamStoreOp::create(builder, loc, param.getSymName(),
                           update.getNewParam());
    }
    grad.erase();
  }

  // Running statistics advance once per training batch norm; a buffer that
  // several batch norms share advances through each of them in order, as in
  // PyTorch. Statistics that are not buffer params are left alone.
  llvm::MapVector<StringAttr, Value> newStats;
  auto bufferRef = [&](Value v) -> ParamRefOp {
    auto ref = v.getDefiningOp<ParamRefOp>();
    if (!ref)
      return {};
    auto param = symbols->lookup<ParamOp>(ref.getName());
    return param && param.getBuffer() ? ref : ParamRefOp();
  };
  for (BatchNormOp norm : norms) {
    ParamRefOp mean = bufferRef(norm.getRunningMean());
    ParamRefOp var = bufferRef(norm.getRunningVar());
    if (!mean || !var)
      continue;
    StringAttr meanName = mean.getNameAttr().getAttr();
    StringAttr varName = var.getNameAttr().getAttr();
    Value oldMean = newStats.lookup(meanName),
          oldVar = newStats.lookup(varName);
    auto update = BatchNormStatsUpdateOp::create(
        builder, norm.getLoc(), norm.getInput(),
        oldMean ? oldMean : norm.getRunningMean(),
        oldVar ? oldVar : norm.getRunningVar(), norm.getMomentumAttr());
    newStats[meanName] = update.getNewMean();
    newStats[varName] = update.getNewVar();
  }
  for (auto [name, value] : newStats)
    ParamStoreOp::create(builder, value.getLoc(), name.getValue(), value);
  return success();
}

void SynthesizeOptimizerPass::runOnOperation() {
  ModuleOp module = getOperation();
  FailureOr<OptimizerConfig> options = readOptions(module);
  if (failed(options))
    return signalPassFailure();
  config = *options;

  auto train = module.lookupSymbol<func::FuncOp>("train");
  if (!train) {
    module.emitError() << kPassName
                       << ": needs @train (run ff-synthesize-local-loss and "
                          "ff-differentiate-blocks first)";
    return signalPassFailure();
  }
  if (failed(checkStructure(module, train)))
    return signalPassFailure();
  symbols.emplace(module);
  gradOf.clear();

  MLIRContext *ctx = &getContext();
  Builder builder(ctx);
  auto scalar = RankedTensorType::get({}, Float32Type::get(ctx));
  if (failed(
          train.insertArgument(train.getNumArguments(), scalar,
                               builder.getDictionaryAttr(builder.getNamedAttr(
                                   "ff.name", builder.getStringAttr("lr"))),
                               train.getLoc()))) {
    train.emitError() << kPassName << ": cannot add the learning-rate argument";
    return signalPassFailure();
  }

  SmallVector<BlockOp> blocks;
  train.walk([&](BlockOp block) { blocks.push_back(block); });
  // Block names name the step counters.
  llvm::StringMap<BlockOp> byName;
  for (BlockOp block : blocks) {
    auto [it, inserted] = byName.try_emplace(block.getName(), block);
    if (inserted)
      continue;
    InFlightDiagnostic diag =
        block.emitError() << kPassName << ": two blocks are named '"
                          << block.getName() << "'; block names must be unique";
    diag.attachNote(it->second.getLoc()) << "the other block";
    return signalPassFailure();
  }
  for (BlockOp block : blocks)
    if (failed(updateBlock(block, train)))
      return signalPassFailure();

  // What the runtime reports and checkpoints next to the parameters.
  SmallVector<NamedAttribute> description = {
      builder.getNamedAttr("name", builder.getStringAttr(config.name))};
  auto add = [&](StringRef key, Attribute value) {
    description.push_back(builder.getNamedAttr(key, value));
  };
  if (config.isAdam()) {
    add("beta1", builder.getF64FloatAttr(config.beta1));
    add("beta2", builder.getF64FloatAttr(config.beta2));
    add("epsilon", builder.getF64FloatAttr(config.epsilon));
  } else {
    add("momentum", builder.getF64FloatAttr(config.momentum));
    add("nesterov", builder.getBoolAttr(config.nesterov));
  }
  add("weight_decay", builder.getF64FloatAttr(config.weightDecay));
  module->setAttr("ff.optimizer", builder.getDictionaryAttr(description));
}

} // namespace
