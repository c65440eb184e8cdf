//===- DifferentiateBlocks.cpp - reverse-mode autodiff in ff.blocks -------===//
//
// Appends to every ff.block of @train the backward pass of its local loss: the
// adjoint of each value on a path from a trainable parameter to the loss, in
// reverse program order, ending in one ff.param_grad per parameter. Gradients
// never leave a block: the block inputs are detached, so no gradient is
// computed for them, and ff.stop_gradient cuts the flow inside a block too.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/TypeSwitch.h"

namespace ffc {
#define GEN_PASS_DEF_DIFFERENTIATEBLOCKS
#include "passes/Passes.h.inc"
} // namespace ffc

using namespace mlir;
using namespace ffc::ff;

namespace {

constexpr llvm::StringLiteral kPassName = "ff-differentiate-blocks";

bool isFloatTensor(Value v) {
  auto t = dyn_cast<RankedTensorType>(v.getType());
  return t && isa<FloatType>(t.getElementType());
}

RankedTensorType tensorType(Value v) {
  return cast<RankedTensorType>(v.getType());
}

/// Backward ops keep their forward op's location (the ONNX node) tagged
/// "grad", so a diagnostic on gradient code still names the model element.
Location gradLoc(Location fwd) {
  MLIRContext *ctx = fwd.getContext();
  return FusedLoc::get(ctx, {fwd}, StringAttr::get(ctx, "grad"));
}

/// A trainable dropout reads its mask once; the backward pass multiplies by
/// the same mask instead of drawing a new one.
void rewriteDropouts(BlockOp block) {
  SmallVector<DropoutOp> dropouts;
  for (Operation &op : block.getBodyBlock())
    if (auto d = dyn_cast<DropoutOp>(op))
      dropouts.push_back(d);
  for (DropoutOp d : dropouts) {
    OpBuilder b(d);
    Value mask =
        DropoutMaskOp::create(b, d.getLoc(), d.getType(), d.getRatio());
    Value masked = MulOp::create(b, d.getLoc(), d.getInput(), mask);
    d.getOutput().replaceAllUsesWith(masked);
    d.erase();
  }
}

/// Reverse-mode differentiation of one block's loss.
class BlockDifferentiator {
public:
  BlockDifferentiator(BlockOp block, SymbolTableCollection &symbols)
      : block(block), symbols(symbols), builder(block.getContext()) {}

  LogicalResult run();

private:
  bool isTrainableRef(Operation *op);
  bool isDifferentiableOperand(Operation *op, unsigned index);
  void analyse();

  bool needs(Value v) const { return needed.contains(v); }
  Value adjointOf(Value v) const { return adjoint.lookup(v); }
  void contribute(Value v, Value grad, Location loc);
  LogicalResult differentiate(Operation *op);
  LogicalResult noRule(Operation *op, StringRef detail = {});

  // Gradient-building helpers; every op is built before the block's yield.
  Value scalar(Type elementType, double value, Location loc);
  Value sumTo(Value grad, Type type, Location loc);
  Value negate(Value v, Location loc);
  Value transposeLastTwo(Value v, Location loc);
  Value zeros(RankedTensorType type, Location loc);

  BlockOp block;
  SymbolTableCollection &symbols;
  OpBuilder builder;
  Value loss;
  /// Float values that depend on a trainable parameter through ops of the
  /// block.
  llvm::DenseSet<Value> dependent;
  /// Dependent values that the loss depends on: the ones that get an adjoint.
  llvm::DenseSet<Value> needed;
  llvm::DenseMap<Value, Value> adjoint;
  /// Trainable parameters in the order the block first reads them, each with
  /// its first ff.param_ref and its accumulated gradient (null: none).
  llvm::MapVector<StringAttr, std::pair<ParamRefOp, Value>> params;
};

bool BlockDifferentiator::isTrainableRef(Operation *op) {
  auto ref = dyn_cast<ParamRefOp>(op);
  if (!ref)
    return false;
  auto param = symbols.lookupNearestSymbolFrom<ParamOp>(ref, ref.getNameAttr());
  return param && !param.getBuffer();
}

/// Operand positions through which a gradient flows (or would flow: the rule
/// then rejects it). Integer operands (labels) never carry one.
bool BlockDifferentiator::isDifferentiableOperand(Operation *op,
                                                  unsigned index) {
  if (!isFloatTensor(op->getOperand(index)))
    return false;
  if (isa<StopGradientOp>(op))
    return false;
  // A training batch norm normalises with the batch statistics: the running
  // statistics do not affect its output (the optimizer pass advances them).
  if (auto bn = dyn_cast<BatchNormOp>(op))
    return index < 3 || !bn.getTraining();
  return true;
}

void BlockDifferentiator::analyse() {
  Block &body = block.getBodyBlock();
  for (Operation &op : body.without_terminator()) {
    if (isTrainableRef(&op)) {
      auto ref = cast<ParamRefOp>(op);
      dependent.insert(ref.getResult());
      params.insert({ref.getNameAttr().getAttr(), {ref, Value()}});
      continue;
    }
    if (isa<ParamRefOp, ConstantOp, DropoutMaskOp, RandomLabelShiftOp>(op))
      continue;
    bool any = false;
    for (unsigned i = 0, e = op.getNumOperands(); i < e && !any; ++i)
      any = isDifferentiableOperand(&op, i) &&
            dependent.contains(op.getOperand(i));
    if (any)
      for (Value r : op.getResults())
        if (isFloatTensor(r))
          dependent.insert(r);
  }
  if (!dependent.contains(loss))
    return;
  needed.insert(loss);
  for (Operation &op : llvm::reverse(body.without_terminator())) {
    if (llvm::none_of(op.getResults(), [&](Value r) { return needs(r); }))
      continue;
    for (unsigned i = 0, e = op.getNumOperands(); i < e; ++i)
      if (isDifferentiableOperand(&op, i) &&
          dependent.contains(op.getOperand(i)))
        needed.insert(op.getOperand(i));
  }
}

void BlockDifferentiator::contribute(Value v, Value grad, Location loc) {
  if (!needs(v))
    return;
  assert(grad.getType() == v.getType() &&
         "gradient type differs from the value's");
  Value &slot = adjoint[v];
  slot = slot ? AddOp::create(builder, loc, slot, grad).getResult() : grad;
}

LogicalResult BlockDifferentiator::noRule(Operation *op, StringRef detail) {
  InFlightDiagnostic diag = op->emitError()
                            << kPassName << ": no gradient rule for '"
                            << op->getName() << "'";
  if (!detail.empty())
    diag << " " << detail;
  diag
      << " (it lies on a path from a trainable parameter to the loss of block '"
      << block.getName() << "')";
  return failure();
}

Value BlockDifferentiator::scalar(Type elementType, double value,
                                  Location loc) {
  // Rank 0 broadcasts against any shape without changing it.
  auto type = RankedTensorType::get({}, elementType);
  auto attr = DenseElementsAttr::get(
      type, ArrayRef<Attribute>(FloatAttr::get(elementType, value)));
  return ConstantOp::create(builder, loc, attr);
}

Value BlockDifferentiator::zeros(RankedTensorType type, Location loc) {
  auto attr = DenseElementsAttr::get(
      type, ArrayRef<Attribute>(FloatAttr::get(type.getElementType(), 0.0)));
  return ConstantOp::create(builder, loc, attr);
}

/// The gradient of a broadcast operand: sum the output gradient over the
/// dimensions the operand was broadcast along.
Value BlockDifferentiator::sumTo(Value grad, Type type, Location loc) {
  if (grad.getType() == type)
    return grad;
  return ReduceSumOp::create(builder, loc, type, grad, DenseI64ArrayAttr());
}

Value BlockDifferentiator::negate(Value v, Location loc) {
  return MulOp::create(builder, loc, v,
                       scalar(tensorType(v).getElementType(), -1.0, loc));
}

Value BlockDifferentiator::transposeLastTwo(Value v, Location loc) {
  int64_t rank = tensorType(v).getRank();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 2], perm[rank - 1]);
  return TransposeOp::create(builder, loc, v, perm);
}

LogicalResult BlockDifferentiator::differentiate(Operation *fwd) {
  Location loc = gradLoc(fwd->getLoc());
  auto dyOf = [&](Value result) { return adjointOf(result); };

  return llvm::TypeSwitch<Operation *, LogicalResult>(fwd)
      .Case([&](ParamRefOp op) {
        auto &[ref, grad] = params[op.getNameAttr().getAttr()];
        Value dy = dyOf(op.getResult());
        grad = grad ? AddOp::create(builder, loc, grad, dy).getResult() : dy;
        return success();
      })
      //===--- Contractions ---------------------------------------------===//
      .Case([&](Conv2DOp op) {
        Value dy = dyOf(op.getOutput()), x = op.getInput(), w = op.getWeight();
        if (needs(x))
          contribute(x,
                     Conv2DGradInputOp::create(
                         builder, loc, x.getType(), dy, w, op.getStrides(),
                         op.getPadding(), op.getDilations(), op.getGroups()),
                     loc);
        if (needs(w))
          contribute(w,
                     Conv2DGradWeightOp::create(
                         builder, loc, w.getType(), x, dy, op.getStrides(),
                         op.getPadding(), op.getDilations(), op.getGroups()),
                     loc);
        if (Value bias = op.getBias(); bias && needs(bias))
          contribute(
              bias,
              ReduceSumOp::create(builder, loc, bias.getType(), dy,
                                  builder.getDenseI64ArrayAttr({0, 2, 3})),
              loc);
        return success();
      })
      .Case([&](LinearOp op) {
        // y = x W^T + b:  dx = dy W,  dW = dy^T x,  db = sum_n dy.
        Value dy = dyOf(op.getOutput()), x = op.getInput(), w = op.getWeight();
        if (needs(x))
          contribute(x, MatMulOp::create(builder, loc, dy, w), loc);
        if (needs(w)) {
          Value dyT =
              TransposeOp::create(builder, loc, dy, ArrayRef<int64_t>{1, 0});
          contribute(w, MatMulOp::create(builder, loc, dyT, x), loc);
        }
        if (Value bias = op.getBias(); bias && needs(bias))
          contribute(bias,
                     ReduceSumOp::create(builder, loc, bias.getType(), dy,
                                         builder.getDenseI64ArrayAttr({0})),
                     loc);
        return success();
      })
      .Case([&](MatMulOp op) {
        // Y = A B over broadcast batch dimensions: dA = dY B^T, dB = A^T dY,
        // each summed over the batch dimensions its operand was broadcast on.
        Value dy = dyOf(op.getOutput()), a = op.getLhs(), bm = op.getRhs();
        if (needs(a)) {
          Value g =
              MatMulOp::create(builder, loc, dy, transposeLastTwo(bm, loc));
          contribute(a, sumTo(g, a.getType(), loc), loc);
        }
        if (needs(bm)) {
          Value g =
              MatMulOp::create(builder, loc, transposeLastTwo(a, loc), dy);
          contribute(bm, sumTo(g, bm.getType(), loc), loc);
        }
        return success();
      })
      //===--- Normalisation --------------------------------------------===//
      .Case([&](BatchNormOp op) -> LogicalResult {
        if (op.getRelu())
          return noRule(op, "with a fused relu epilogue (ff-fuse forms it after autodiff)");
        // (The same value may also be read as the scale: only an inference
        // batch norm reads the running statistics at all.)
        if (!op.getTraining() &&
            (needs(op.getRunningMean()) || needs(op.getRunningVar())))
          return noRule(op,
                        "with respect to running statistics (inference-mode "
                        "batch norm whose statistics depend on a trainable "
                        "parameter)");
        Value x = op.getInput(), scale = op.getScale(), bias = op.getBias();
        if (!needs(x) && !needs(scale) && !needs(bias))
          return success();
        auto g = BatchNormGradOp::create(
            builder, loc, x.getType(), scale.getType(), bias.getType(), x,
            dyOf(op.getOutput()), scale, op.getRunningMean(),
            op.getRunningVar(), /*relu_output=*/Value(), op.getEpsilon(), op.getTraining());
        contribute(x, g.getInputGrad(), loc);
        contribute(scale, g.getScaleGrad(), loc);
        contribute(bias, g.getBiasGrad(), loc);
        return success();
      })
      .Case([&](LayerNormOp op) {
        Value x = op.getInput(), scale = op.getScale(), bias = op.getBias();
        auto g = LayerNormGradOp::create(
            builder, loc, x.getType(), scale ? scale.getType() : Type(),
            bias ? bias.getType() : Type(), x, dyOf(op.getOutput()), scale,
            op.getAxis(), op.getEpsilon(), static_cast<bool>(bias));
        contribute(x, g.getInputGrad(), loc);
        if (scale)
          contribute(scale, g.getScaleGrad(), loc);
        if (bias)
          contribute(bias, g.getBiasGrad(), loc);
        return success();
      })
      //===--- Elementwise ----------------------------------------------===//
      .Case([&](ReluOp op) {
        contribute(op.getInput(),
                   ReluGradOp::create(builder, loc, op.getInput(),
                                      dyOf(op.getOutput())),
                   loc);
        return success();
      })
      .Case([&](SigmoidOp op) {
        contribute(op.getInput(),
                   SigmoidGradOp::create(builder, loc, op.getInput(),
                                         dyOf(op.getOutput())),
                   loc);
        return success();
      })
      .Case([&](HardSwishOp op) {
        contribute(op.getInput(),
                   HardSwishGradOp::create(builder, loc, op.getInput(),
                                           dyOf(op.getOutput())),
                   loc);
        return success();
      })
      .Case([&](HardSigmoidOp op) {
        contribute(op.getInput(),
                   HardSigmoidGradOp::create(builder, loc, op.getInput(),
                                             dyOf(op.getOutput()),
                                             op.getAlpha(), op.getBeta()),
                   loc);
        return success();
      })
      .Case([&](ClipOp op) {
        contribute(op.getInput(),
                   ClipGradOp::create(builder, loc, op.getInput(),
                                      dyOf(op.getOutput()), op.getMin(),
                                      op.getMax()),
                   loc);
        return success();
      })
      .Case([&](AddOp op) {
        Value dy = dyOf(op.getOutput());
        if (needs(op.getLhs()))
          contribute(op.getLhs(), sumTo(dy, op.getLhs().getType(), loc), loc);
        if (needs(op.getRhs()))
          contribute(op.getRhs(), sumTo(dy, op.getRhs().getType(), loc), loc);
        return success();
      })
      .Case([&](SubOp op) {
        Value dy = dyOf(op.getOutput());
        if (needs(op.getLhs()))
          contribute(op.getLhs(), sumTo(dy, op.getLhs().getType(), loc), loc);
        if (needs(op.getRhs()))
          contribute(op.getRhs(),
                     negate(sumTo(dy, op.getRhs().getType(), loc), loc), loc);
        return success();
      })
      .Case([&](MulOp op) {
        // d(a*b) = da*b + a*db; the products have the output's shape.
        Value dy = dyOf(op.getOutput()), a = op.getLhs(), bv = op.getRhs();
        if (needs(a))
          contribute(
              a, sumTo(MulOp::create(builder, loc, dy, bv), a.getType(), loc),
              loc);
        if (needs(bv))
          contribute(
              bv, sumTo(MulOp::create(builder, loc, dy, a), bv.getType(), loc),
              loc);
        return success();
      })
      .Case([&](DivOp op) {
        // y = a / b:  da = dy / b,  db = -dy * a / b^2 = -(dy * y) / b.
        Value dy = dyOf(op.getOutput()), a = op.getLhs(), bv = op.getRhs();
        if (needs(a))
          contribute(
              a, sumTo(DivOp::create(builder, loc, dy, bv), a.getType(), loc),
              loc);
        if (needs(bv)) {
          Value dyy = MulOp::create(builder, loc, dy, op.getOutput());
          Value q = DivOp::create(builder, loc, dyy, bv);
          contribute(bv, negate(sumTo(q, bv.getType(), loc), loc), loc);
        }
        return success();
      })
      .Case([&](SoftmaxOp op) {
        // From the output y: dx = y * (dy - sum_axis(dy * y)).
        contribute(
            op.getInput(),
            SoftmaxGradOp::create(
                builder, loc, op.getOutput(), dyOf(op.getOutput()),
                builder.getI64IntegerAttr(static_cast<int64_t>(op.getAxis()))),
            loc);
        return success();
      })
      //===--- Pooling --------------------------------------------------===//
      .Case([&](MaxPool2DOp op) {
        contribute(op.getInput(),
                   MaxPool2DGradOp::create(
                       builder, loc, op.getInput().getType(), op.getInput(),
                       dyOf(op.getOutput()), op.getKernel(), op.getStrides(),
                       op.getPadding(), op.getDilations(), op.getCeilMode()),
                   loc);
        return success();
      })
      .Case([&](AvgPool2DOp op) {
        contribute(
            op.getInput(),
            AvgPool2DGradOp::create(builder, loc, op.getInput().getType(),
                                    dyOf(op.getOutput()), op.getKernel(),
                                    op.getStrides(), op.getPadding(),
                                    op.getCeilMode(), op.getCountIncludePad()),
            loc);
        return success();
      })
      .Case([&](GlobalAvgPoolOp op) {
        // y[n,c] = sum_{h,w} x[n,c,h,w] / (H W): dx = broadcast(dy) / (H W).
        RankedTensorType x = tensorType(op.getInput());
        Value spread =
            BroadcastOp::create(builder, loc, Type(x), dyOf(op.getOutput()));
        double inv =
            1.0 / static_cast<double>(x.getDimSize(2) * x.getDimSize(3));
        contribute(op.getInput(),
                   MulOp::create(builder, loc, spread,
                                 scalar(x.getElementType(), inv, loc)),
                   loc);
        return success();
      })
      //===--- Shape ----------------------------------------------------===//
      .Case<FlattenOp, ReshapeOp>([&](auto op) {
        contribute(op.getInput(),
                   ReshapeOp::create(builder, loc, op.getInput().getType(),
                                     dyOf(op.getOutput())),
                   loc);
        return success();
      })
      .Case([&](ConcatOp op) {
        Value dy = dyOf(op.getOutput());
        auto axis = static_cast<int64_t>(op.getAxis());
        SmallVector<int64_t> offsets(tensorType(dy).getRank(), 0);
        for (Value in : op.getInputs()) {
          if (needs(in))
            contribute(in,
                       SliceOp::create(builder, loc, in.getType(), dy, offsets),
                       loc);
          offsets[axis] += tensorType(in).getDimSize(axis);
        }
        return success();
      })
      .Case([&](TransposeOp op) {
        ArrayRef<int64_t> perm = op.getPermutation();
        SmallVector<int64_t> inverse(perm.size());
        for (auto [i, p] : llvm::enumerate(perm))
          inverse[p] = static_cast<int64_t>(i);
        contribute(
            op.getInput(),
            TransposeOp::create(builder, loc, dyOf(op.getOutput()), inverse),
            loc);
        return success();
      })
      .Case([&](BroadcastOp op) {
        contribute(op.getInput(),
                   sumTo(dyOf(op.getOutput()), op.getInput().getType(), loc),
                   loc);
        return success();
      })
      .Case([&](ReduceSumOp op) {
        // Every summed element receives the gradient of its sum: put the
        // summed dimensions back (size 1), then broadcast.
        RankedTensorType x = tensorType(op.getInput());
        Value dy = dyOf(op.getOutput());
        if (auto axes = op.getAxes()) {
          SmallVector<int64_t> kept(x.getShape());
          for (int64_t a : *axes)
            kept[a] = 1;
          dy = ReshapeOp::create(
              builder, loc,
              Type(RankedTensorType::get(kept, x.getElementType())), dy);
        }
        contribute(op.getInput(),
                   BroadcastOp::create(builder, loc, Type(x), dy), loc);
        return success();
      })
      .Case([&](SliceOp op) {
        // The gradient of a box is the output gradient padded with zeros back
        // to the input's shape, one dimension at a time.
        RankedTensorType x = tensorType(op.getInput());
        Value g = dyOf(op.getOutput());
        for (auto [d, offset] : llvm::enumerate(op.getOffsets())) {
          SmallVector<int64_t> shape(tensorType(g).getShape());
          int64_t size = shape[d], after = x.getDimSize(d) - offset - size;
          if (offset == 0 && after == 0)
            continue;
          SmallVector<Value> pieces;
          if (offset > 0) {
            shape[d] = offset;
            pieces.push_back(
                zeros(RankedTensorType::get(shape, x.getElementType()), loc));
          }
          pieces.push_back(g);
          if (after > 0) {
            shape[d] = after;
            pieces.push_back(
                zeros(RankedTensorType::get(shape, x.getElementType()), loc));
          }
          g = ConcatOp::create(builder, loc, pieces, static_cast<uint64_t>(d));
        }
        contribute(op.getInput(), g, loc);
        return success();
      })
      //===--- Local losses ---------------------------------------------===//
      .Case([&](GoodnessOp op) {
        // g[n,k] = mean over group k of x^2: dx = dg[n,k(c)] * 2 x / |group|.
        contribute(op.getInput(),
                   GoodnessGradOp::create(builder, loc, op.getInput().getType(),
                                          op.getInput(), dyOf(op.getOutput()),
                                          op.getGroups()),
                   loc);
        return success();
      })
      .Case([&](MarginCrossEntropyOp op) {
        // The grad op is d loss / d scores; it is the seed when this op
        // computes the block's loss, otherwise it scales the loss's adjoint.
        Value g = MarginCrossEntropyGradOp::create(
            builder, loc, op.getScores(), op.getLabels(), op.getMarginAttr());
        if (op.getLoss() != loss)
          g = MulOp::create(builder, loc, g, dyOf(op.getLoss()));
        contribute(op.getScores(), g, loc);
        return success();
      })
      .Case([&](ThresholdLossOp op) {
        auto grads =
            ThresholdLossGradOp::create(builder, loc, op.getPositive(),
                                        op.getNegative(), op.getThetaAttr());
        Value dp = grads.getPositiveGrad(), dn = grads.getNegativeGrad();
        if (op.getLoss() != loss) {
          dp = MulOp::create(builder, loc, dp, dyOf(op.getLoss()));
          dn = MulOp::create(builder, loc, dn, dyOf(op.getLoss()));
        }
        contribute(op.getPositive(), dp, loc);
        contribute(op.getNegative(), dn, loc);
        return success();
      })
      .Default([&](Operation *op) { return noRule(op); });
}

LogicalResult BlockDifferentiator::run() {
  auto yield = block.getYield();
  if (yield.getValues().size() < 2) {
    return block.emitError()
           << kPassName << ": block '" << block.getName() << "' yields "
           << yield.getValues().size()
           << " value(s); expected (activations..., loss: "
              "tensor<f32>, scores) from ff-synthesize-local-loss";
  }
  loss = yield.getValues()[yield.getValues().size() - 2];
  auto lossType = dyn_cast<RankedTensorType>(loss.getType());
  if (!lossType || lossType.getRank() != 0 ||
      !isa<FloatType>(lossType.getElementType()))
    return block.emitError()
           << kPassName << ": block '" << block.getName() << "' yields "
           << loss.getType()
           << " as its loss (second-to-last result); expected "
              "a 0-d float tensor";
  for (Operation &op : block.getBodyBlock())
    if (isa<ParamGradOp>(op))
      return op.emitError()
             << kPassName << ": block '" << block.getName()
             << "' already has gradients (was the pass run twice?)";

  rewriteDropouts(block);
  analyse();

  builder.setInsertionPoint(yield);
  Operation *lossOp = loss.getDefiningOp();
  if (needs(loss) &&
      !isa_and_nonnull<MarginCrossEntropyOp, ThresholdLossOp>(lossOp))
    adjoint[loss] = scalar(lossType.getElementType(), 1.0,
                           gradLoc(lossOp ? lossOp->getLoc() : block.getLoc()));

  SmallVector<Operation *> active;
  for (Operation &op : block.getBodyBlock().without_terminator())
    if (llvm::any_of(op.getResults(), [&](Value r) { return needs(r); }))
      active.push_back(&op);
  for (Operation *op : llvm::reverse(active))
    if (failed(differentiate(op)))
      return failure();

  for (auto &[name, entry] : params) {
    auto &[ref, grad] = entry;
    if (!grad) {
      ref.emitWarning() << kPassName << ": the loss of block '"
                        << block.getName()
                        << "' does not depend on trainable parameter '"
                        << name.getValue() << "'; it gets no gradient";
      continue;
    }
    ParamGradOp::create(builder, gradLoc(ref.getLoc()),
                        FlatSymbolRefAttr::get(name), grad);
  }
  return success();
}

/// Proves that gradient code stays inside its block: every ff.param_grad of
/// @train lies in an ff.block, every operand of every op in a block is defined
/// in that block, and each gradient is computed from the block's own values
/// and names a parameter that the block reads.
LogicalResult verifyGradientIsolation(func::FuncOp train) {
  bool ok = true;
  train.walk([&](ParamGradOp grad) {
    if (!isa<BlockOp>(grad->getParentOp())) {
      grad.emitError() << kPassName << ": ff.param_grad for '" << grad.getName()
                       << "' lies outside every ff.block; gradients must stay "
                          "inside their block";
      ok = false;
    }
  });
  train.walk([&](BlockOp block) {
    Region &body = block.getBody();
    auto inside = [&](Value v) { return body.isAncestor(v.getParentRegion()); };
    block.getBody().walk([&](Operation *op) {
      for (Value operand : op->getOperands())
        if (!inside(operand)) {
          op->emitError() << kPassName << ": '" << op->getName()
                          << "' in block '" << block.getName()
                          << "' uses a value defined outside the block";
          ok = false;
        }
    });
    llvm::DenseSet<StringAttr> read;
    block.getBody().walk(
        [&](ParamRefOp ref) { read.insert(ref.getNameAttr().getAttr()); });
    for (auto grad : block.getBodyBlock().getOps<ParamGradOp>()) {
      if (!read.contains(grad.getNameAttr().getAttr())) {
        grad.emitError() << kPassName << ": block '" << block.getName()
                         << "' has a gradient for '" << grad.getName()
                         << "', which it does not read";
        ok = false;
      }
      // The backward slice of the gradient: block arguments and ops of the
      // block only (values handed on by another block arrive as arguments).
      SmallVector<Value> work = {grad.getGradient()};
      llvm::SmallPtrSet<Operation *, 32> seen;
      while (!work.empty()) {
        Value v = work.pop_back_val();
        if (!inside(v)) {
          grad.emitError() << kPassName << ": the gradient of '"
                           << grad.getName() << "' in block '"
                           << block.getName()
                           << "' depends on a value from outside the block";
          ok = false;
          break;
        }
        Operation *def = v.getDefiningOp();
        if (def && seen.insert(def).second)
          llvm::append_range(work, def->getOperands());
      }
    }
  });
  return success(ok);
}

struct DifferentiateBlocksPass
    : ffc::impl::DifferentiateBlocksBase<DifferentiateBlocksPass> {
  using DifferentiateBlocksBase::DifferentiateBlocksBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto train = module.lookupSymbol<func::FuncOp>("train");
    if (!train) {
      module.emitError()
          << kPassName << " needs @train (run ff-synthesize-local-loss first)";
      return signalPassFailure();
    }
    SymbolTableCollection symbols;
    SmallVector<BlockOp> blocks;
    train.walk([&](BlockOp block) { blocks.push_back(block); });
    bool ok = true;
    for (BlockOp block : blocks)
      ok &= succeeded(BlockDifferentiator(block, symbols).run());
    if (!ok || failed(verifyGradientIsolation(train)))
      return signalPassFailure();
  }
};

} // namespace
