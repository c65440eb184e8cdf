//===- SynthesizeLocalLoss.cpp - per-block objectives and the vote -------===//
//
// From the partitioned `@forward`, builds the training program `@train` (each
// block also computes its local loss and class scores; the next block reads
// the normalised, detached output) and the inference program `@infer` (the
// same blocks with running statistics, no dropout, and the vote).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/PassUtils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

#include <cmath>
#include <random>

namespace ffc {
#define GEN_PASS_DEF_SYNTHESIZELOCALLOSS
#include "passes/Passes.h.inc"
} // namespace ffc

using namespace mlir;
using namespace ffc;
using namespace ffc::ff;

namespace {

RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

/// Replaces `block` by a block with the given extra inputs and results; the
/// region moves over. New region arguments are appended for the inputs.
BlockOp rebuildBlock(OpBuilder &builder, BlockOp block, ValueRange extraInputs,
                     TypeRange resultTypes) {
  SmallVector<Value> inputs(block.getInputs());
  inputs.append(extraInputs.begin(), extraInputs.end());
  builder.setInsertionPoint(block);
  auto fresh = BlockOp::create(builder, block.getLoc(), resultTypes, inputs,
                               block.getNameAttr());
  fresh->setDiscardableAttrs(block->getDiscardableAttrDictionary());
  fresh.getBody().takeBody(block.getBody());
  for (Value in : extraInputs)
    fresh.getBodyBlock().addArgument(in.getType(), in.getLoc());
  return fresh;
}

/// `type` with its leading (batch) dimension `to`.
RankedTensorType withBatch(RankedTensorType type, int64_t to) {
  SmallVector<int64_t> shape(type.getShape());
  shape[0] = to;
  return RankedTensorType::get(shape, type.getElementType());
}

/// Re-types the body of `block` for a new batch size: every op that reads a
/// value of `batched` (whose types are already the new ones) gets its result
/// types inferred again where it infers them, else its results of leading
/// dimension `from` get the leading dimension `to` (elementwise ops, a reshape
/// with a static batch); its results are batched in turn. Finally the block's
/// results take the types it yields. Fails, naming the op, when the re-typed
/// body does not verify.
LogicalResult rebatchBody(BlockOp block, llvm::DenseSet<Value> batched, int64_t from,
                          int64_t to) {
  MLIRContext *ctx = block.getContext();
  for (Operation &op : block.getBodyBlock().without_terminator()) {
    if (llvm::none_of(op.getOperands(), [&](Value v) { return batched.contains(v); }))
      continue;
    SmallVector<Type> types;
    if (auto infer = dyn_cast<InferTypeOpInterface>(&op)) {
      if (failed(infer.inferReturnTypes(ctx, op.getLoc(), op.getOperands(),
                                        op.getAttrDictionary(), op.getPropertiesStorage(),
                                        op.getRegions(), types)))
        return op.emitError("ff-synthesize-local-loss: cannot run '")
               << op.getName() << "' on a batch of " << to << " (loss 'ff')";
    } else {
      for (Type t : op.getResultTypes()) {
        auto ranked = dyn_cast<RankedTensorType>(t);
        types.push_back(ranked && ranked.getRank() >= 1 && ranked.getDimSize(0) == from
                            ? withBatch(ranked, to)
                            : t);
      }
    }
    for (auto [r, t] : llvm::zip(op.getResults(), types)) {
      r.setType(t);
      batched.insert(r);
    }
  }
  for (auto [r, v] : llvm::zip(block.getResults(), block.getYield().getValues()))
    r.setType(v.getType());
  // (The block itself is verified once its head has been added.)
  bool ok = llvm::all_of(block.getBodyBlock().without_terminator(),
                         [](Operation &op) { return succeeded(verify(&op)); });
  if (!ok)
    return block.emitError("ff-synthesize-local-loss: block '")
           << block.getName() << "' does not run on a batch of " << to
           << " samples (loss 'ff' batches positives with negatives, and every "
              "label hypothesis in inference)";
  return success();
}

struct SynthesizeLocalLossPass
    : ffc::impl::SynthesizeLocalLossBase<SynthesizeLocalLossPass> {
  using SynthesizeLocalLossBase::SynthesizeLocalLossBase;

  void runOnOperation() override;

private:
  /// The parameters of a synthesized head (created once, read by both programs).
  struct HeadParams {
    std::string weight, bias;
  };
  FailureOr<HeadParams> headParams(BlockOp block, Value features);
  /// Builds the block's scores (N x K) from its output `h`; with `labels`, also
  /// its loss. Inserted before the block's yield.
  FailureOr<std::pair<Value, Value>> buildHead(OpBuilder &builder, BlockOp block,
                                               Value h, Value labels);
  Value normalize(OpBuilder &builder, Location loc, Value h);
  /// loss 'ff': label embedding (block 0) and the larger batch, then the
  /// threshold loss (training) or the goodness of every label hypothesis.
  LogicalResult rebatchForFF(OpBuilder &builder, BlockOp block, unsigned numInputs,
                             bool first, Value labels, int64_t batch);
  std::pair<Value, Value> buildFFHead(OpBuilder &builder, BlockOp block, Value h,
                                      Value labels, int64_t batch);
  LogicalResult checkFF(func::FuncOp forward);
  std::string createParam(StringRef name, RankedTensorType type, double bound);

  ModuleOp module;
  int64_t numClasses = 0;
  std::mt19937_64 rng;
  llvm::StringMap<HeadParams> heads;
};

std::string SynthesizeLocalLossPass::createParam(StringRef name,
                                                 RankedTensorType type,
                                                 double bound) {
  // PyTorch's default initialisation of conv and linear layers:
  // U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
  std::uniform_real_distribution<float> dist(-bound, bound);
  std::vector<float> values(type.getNumElements());
  for (float &v : values)
    v = dist(rng);
  OpBuilder builder(module.getBodyRegion());
  // Parameters go after the existing ones, before the functions.
  Operation *insertAfter = nullptr;
  for (auto param : module.getOps<ParamOp>())
    insertAfter = param;
  if (insertAfter)
    builder.setInsertionPointAfter(insertAfter);
  else
    builder.setInsertionPointToStart(module.getBody());
  auto blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(values));
  auto attr = DenseResourceElementsAttr::get(type, name, std::move(blob));
  auto param = ParamOp::create(builder, module.getLoc(), name, attr, false);
  SymbolTable(module).insert(param);
  return param.getSymName().str();
}

FailureOr<SynthesizeLocalLossPass::HeadParams>
SynthesizeLocalLossPass::headParams(BlockOp block, Value features) {
  std::string key = block.getName().str();
  if (auto it = heads.find(key); it != heads.end())
    return it->second;
  auto type = tensorType(features);
  Type f32 = type.getElementType();
  HeadParams params;
  if (loss == "sff" && type.getRank() == 4) {
    int64_t c = type.getDimSize(1);
    auto wType = RankedTensorType::get({numClasses, c, auxKernel, auxKernel}, f32);
    double bound = 1.0 / std::sqrt(double(c * auxKernel * auxKernel));
    params.weight = createParam(key + ".aux.weight", wType, bound);
    params.bias = createParam(key + ".aux.bias", RankedTensorType::get({numClasses}, f32), bound);
  } else {
    // A linear head: SFF's aux layer on 2-D features, or the bp head (after
    // global-average-pooling 4-D features).
    int64_t in = type.getDimSize(1);
    double bound = 1.0 / std::sqrt(double(in));
    std::string prefix = key + (loss == "sff" ? ".aux" : ".head");
    params.weight = createParam(prefix + ".weight",
                                RankedTensorType::get({numClasses, in}, f32), bound);
    params.bias = createParam(prefix + ".bias", RankedTensorType::get({numClasses}, f32),
                              bound);
  }
  heads[key] = params;
  return params;
}

Value SynthesizeLocalLossPass::normalize(OpBuilder &builder, Location loc, Value h) {
  auto type = tensorType(h);
  auto eps = builder.getF64FloatAttr(normEpsilon);
  if (norm == "none")
    return h;
  if (norm == "layer" || type.getRank() < 3)
    return LayerNormOp::create(builder, loc, type, h, Value(), Value(),
                               builder.getI64IntegerAttr(1), eps);
  // Over channels only, per position: move C last, normalise it, move back.
  SmallVector<int64_t> toLast = {0}, back = {0, type.getRank() - 1};
  for (int64_t d = 2; d < type.getRank(); ++d)
    toLast.push_back(d);
  toLast.push_back(1);
  for (int64_t d = 1; d + 1 < type.getRank(); ++d)
    back.push_back(d);
  Value t = TransposeOp::create(builder, loc, h, builder.getDenseI64ArrayAttr(toLast));
  Value n = LayerNormOp::create(builder, loc, t.getType(), t, Value(), Value(),
                                builder.getI64IntegerAttr(type.getRank() - 1), eps);
  return TransposeOp::create(builder, loc, n, builder.getDenseI64ArrayAttr(back));
}

LogicalResult SynthesizeLocalLossPass::checkFF(func::FuncOp forward) {
  SmallVector<BlockOp> blocks(forward.getBody().front().getOps<BlockOp>());
  for (BlockOp block : blocks) {
    for (Value out : block.getYield().getValues()) {
      auto type = dyn_cast<RankedTensorType>(out.getType());
      if (type && type.getRank() == 2)
        continue;
      return block.emitError("ff-synthesize-local-loss: loss 'ff' (Hinton's Forward-Forward) "
                             "is for MLP-like models, whose blocks hand on N x F "
                             "activations; block '")
             << block.getName() << "' outputs " << out.getType()
             << " (FF's label pixels reach a convolution only locally; use sff or "
                "cwcomp for convolutional models)";
    }
  }
  BlockOp first = blocks.front();
  auto input = first.getInputs().size() == 1
                   ? dyn_cast<RankedTensorType>(first.getInputs()[0].getType())
                   : RankedTensorType();
  if (!input || input.getRank() < 2 || input.getNumElements() / input.getDimSize(0) < numClasses)
    return first.emitError("ff-synthesize-local-loss: loss 'ff' writes the label into the "
                           "first ")
           << numClasses << " elements of each sample, so block '" << first.getName()
           << "' needs one N x ... input with at least that many elements per sample";
  return success();
}

LogicalResult SynthesizeLocalLossPass::rebatchForFF(OpBuilder &builder, BlockOp block,
                                                    unsigned numInputs, bool first,
                                                    Value labels, int64_t batch) {
  Location loc = NameLoc::get(builder.getStringAttr(block.getName() + ".ff"), block.getLoc());
  Block &body = block.getBodyBlock();
  llvm::DenseSet<Value> batched;
  // Training: positives then negatives; inference: every label hypothesis.
  int64_t to = labels ? 2 * batch : numClasses * batch;
  if (first) {
    Value x = body.getArgument(0);
    builder.setInsertionPointToStart(&body);
    auto classes = builder.getI64IntegerAttr(numClasses);
    auto scale = builder.getF64FloatAttr(labelScale);
    Value all;
    if (labels) {
      Value pos = EmbedLabelOp::create(builder, loc, x.getType(), x, labels, Value(), classes,
                                       scale);
      Value shift = RandomLabelShiftOp::create(builder, loc, labels.getType(), classes);
      Value neg = EmbedLabelOp::create(builder, loc, x.getType(), x, labels, shift, classes,
                                       scale);
      all = ConcatOp::create(builder, loc, ValueRange{pos, neg}, uint64_t(0));
      SmallPtrSet<Operation *, 2> keep = {pos.getDefiningOp(), neg.getDefiningOp()};
      x.replaceAllUsesExcept(all, keep);
    } else {
      all = EmbedAllLabelsOp::create(builder, loc, x, classes, scale);
      x.replaceAllUsesExcept(all, all.getDefiningOp());
    }
    batched.insert(all);
  } else {
    for (unsigned i = 0; i < numInputs; ++i) {
      body.getArgument(i).setType(block.getInputs()[i].getType());
      batched.insert(body.getArgument(i));
    }
  }
  return rebatchBody(block, batched, batch, to);
}

std::pair<Value, Value> SynthesizeLocalLossPass::buildFFHead(OpBuilder &builder, BlockOp block,
                                                             Value h, Value labels,
                                                             int64_t batch) {
  Location loc = NameLoc::get(builder.getStringAttr(block.getName() + ".head"),
                              block.getYield().getLoc());
  Type f32 = builder.getF32Type();
  auto constant = [&](RankedTensorType type, double v) -> Value {
    return ConstantOp::create(builder, loc,
                              DenseElementsAttr::get(type, builder.getFloatAttr(f32, v)));
  };
  // Goodness per sample: the mean of the squared activities (M x 1), or
  // their sum (the mean times F).
  Value g = GoodnessOp::create(builder, loc, h, 1);
  if (goodness == "sum")
    g = MulOp::create(builder, loc, g,
                      constant(RankedTensorType::get({}, f32), tensorType(h).getDimSize(1)));
  if (!labels) {
    // Hypothesis-major (K*N) x 1 -> K x N -> N x K scores.
    Value r = ReshapeOp::create(builder, loc, RankedTensorType::get({numClasses, batch}, f32), g);
    Value scores = TransposeOp::create(builder, loc, r, builder.getDenseI64ArrayAttr({1, 0}));
    return {scores, Value()};
  }
  auto half = RankedTensorType::get({batch, 1}, f32);
  Value pos = SliceOp::create(builder, loc, half, g, builder.getDenseI64ArrayAttr({0, 0}));
  Value neg = SliceOp::create(builder, loc, half, g, builder.getDenseI64ArrayAttr({batch, 0}));
  Value lossValue =
      ThresholdLossOp::create(builder, loc, pos, neg, builder.getF64FloatAttr(threshold));
  // The training metric, without a pass per label: the score matrix is
  // onehot(label) * (g_pos - g_neg), whose argmax is the label exactly when
  // the positive sample is better than its negative.
  auto kType = RankedTensorType::get({batch, numClasses}, f32);
  Value onehot = EmbedLabelOp::create(builder, loc, kType, constant(kType, 0.0), labels, Value(),
                                      builder.getI64IntegerAttr(numClasses),
                                      builder.getF64FloatAttr(1.0));
  Value scores = MulOp::create(builder, loc, onehot, SubOp::create(builder, loc, pos, neg));
  return {scores, lossValue};
}

FailureOr<std::pair<Value, Value>>
SynthesizeLocalLossPass::buildHead(OpBuilder &builder, BlockOp block, Value h,
                                   Value labels) {
  Location loc = NameLoc::get(builder.getStringAttr(block.getName() + ".head"),
                              block.getYield().getLoc());
  auto type = tensorType(h);
  Value features = auxInput == "post" ? normalize(builder, loc, h) : h;
  Value scores;
  if (loss == "cwcomp") {
    if (type.getRank() < 2 || type.getDimSize(1) % numClasses != 0)
      return block.emitError("ff-synthesize-local-loss: loss 'cwcomp' needs the "
                             "block's channels (")
                 << (type.getRank() >= 2 ? type.getDimSize(1) : 0)
                 << ") to split into " << numClasses << " class groups",
             failure();
    scores = GoodnessOp::create(builder, loc, features, numClasses);
  } else if (loss == "bp" && type.getRank() == 2 && type.getDimSize(1) == numClasses &&
             block->hasAttr("classifier")) {
    scores = features; // the model's own classifier computes the logits
  } else {
    if (loss == "sff" && type.getRank() != 4 && type.getRank() != 2)
      return block.emitError("ff-synthesize-local-loss: SFF heads need N x C x H x W "
                             "or N x F block outputs, got ")
                 << type,
             failure();
    if (loss == "bp" && type.getRank() == 4) {
      Value pooled = GlobalAvgPoolOp::create(builder, loc, features);
      features = FlattenOp::create(builder, loc, pooled, 1);
    } else if (loss == "bp" && type.getRank() != 2) {
      return block.emitError("ff-synthesize-local-loss: the bp head needs a 2-D or "
                             "4-D block output, got ")
                 << type,
             failure();
    }
    auto params = headParams(block, features);
    if (failed(params))
      return failure();
    auto ref = [&](StringRef name) -> Value {
      auto p = module.lookupSymbol<ParamOp>(name);
      return ParamRefOp::create(builder, loc, p.getType(), name);
    };
    Value w = ref(params->weight), b = ref(params->bias);
    if (tensorType(features).getRank() == 4) {
      int64_t pad = (auxKernel - 1) / 2;
      Value z = Conv2DOp::create(builder, loc, features, w, b,
                                 builder.getDenseI64ArrayAttr({1, 1}),
                                 builder.getDenseI64ArrayAttr({pad, pad, pad, pad}),
                                 builder.getDenseI64ArrayAttr({1, 1}),
                                 builder.getI64IntegerAttr(1));
      scores = GoodnessOp::create(builder, loc, z, numClasses);
    } else {
      Value z = LinearOp::create(builder, loc, features, w, b);
      scores = loss == "sff" ? GoodnessOp::create(builder, loc, z, numClasses).getResult()
                             : z;
    }
  }
  Value lossValue;
  if (labels)
    lossValue = MarginCrossEntropyOp::create(
        builder, loc, scores, labels,
        builder.getF64FloatAttr(loss == "sff" ? margin : 0.0));
  return std::make_pair(scores, lossValue);
}

void SynthesizeLocalLossPass::runOnOperation() {
  module = getOperation();
  MLIRContext *ctx = &getContext();
  rng.seed(seed);
  if (loss != "sff" && loss != "cwcomp" && loss != "bp" && loss != "ff") {
    module.emitError("ff-synthesize-local-loss: unknown loss '")
        << loss << "'; losses: sff, cwcomp, ff, bp";
    return signalPassFailure();
  }
  if (goodness != "mean" && goodness != "sum") {
    module.emitError("ff-synthesize-local-loss: goodness must be 'mean' or 'sum', got '")
        << goodness << "'";
    return signalPassFailure();
  }
  if (norm != "layer" && norm != "channel" && norm != "none") {
    module.emitError("ff-synthesize-local-loss: unknown norm '")
        << norm << "'; choices: layer, channel, none";
    return signalPassFailure();
  }
  if (auxInput != "pre" && auxInput != "post") {
    module.emitError("ff-synthesize-local-loss: aux-input must be 'pre' or 'post', got '")
        << auxInput << "'";
    return signalPassFailure();
  }
  if (vote != "all" && vote != "last") {
    module.emitError("ff-synthesize-local-loss: vote must be 'all' or 'last', got '")
        << vote << "'";
    return signalPassFailure();
  }
  if (auxKernel < 1 || auxKernel % 2 == 0) {
    module.emitError("ff-synthesize-local-loss: aux-kernel must be a positive odd size, got ")
        << static_cast<int64_t>(auxKernel);
    return signalPassFailure();
  }
  numClasses = classes;
  if (numClasses == 0)
    if (auto attr = module->getAttrOfType<IntegerAttr>("ff.classes"))
      numClasses = attr.getInt();
  if (numClasses < 2) {
    module.emitError("ff-synthesize-local-loss: the number of classes is unknown "
                     "(the model has no N x K output); set classes=K");
    return signalPassFailure();
  }
  module->setAttr("ff.classes", IntegerAttr::get(IntegerType::get(ctx, 64), numClasses));

  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.getBody().front().getOps<BlockOp>().empty()) {
    module.emitError("ff-synthesize-local-loss: needs a partitioned @forward "
                     "(run ff-partition-blocks first)");
    return signalPassFailure();
  }
  for (Operation &op : forward.getBody().front().without_terminator())
    if (!isa<BlockOp>(op)) {
      op.emitError("ff-synthesize-local-loss: @forward must hold only ff.block ops "
                   "at its top level, found '")
          << op.getName() << "'";
      return signalPassFailure();
    }

  if (loss == "ff" && failed(checkFF(forward)))
    return signalPassFailure();

  // Both programs start from the partitioned graph.
  auto train = cast<func::FuncOp>(forward->clone());
  auto infer = forward;
  train.setSymName("train");
  infer.setSymName("infer");
  module.push_back(train);

  OpBuilder builder(ctx);
  for (auto [isTrain, func] : {std::pair<bool, func::FuncOp>{true, train}, {false, infer}}) {
    Block &entry = func.getBody().front();
    int64_t batch = cast<RankedTensorType>(func.getArgumentTypes()[0]).getDimSize(0);
    Value labels;
    if (isTrain) {
      auto labelType = RankedTensorType::get({batch}, builder.getI32Type());
      (void)func.insertArgument(func.getNumArguments(), labelType,
                          builder.getDictionaryAttr(builder.getNamedAttr(
                              "ff.name", builder.getStringAttr("labels"))),
                          func.getLoc());
      labels = func.getArguments().back();
    }
    SmallVector<Value> losses, scores;
    SmallVector<BlockOp> blocks(entry.getOps<BlockOp>());
    for (auto [b, block] : llvm::enumerate(blocks)) {
      // Between blocks: normalise and detach the previous block's output.
      if (b > 0) {
        builder.setInsertionPoint(block);
        for (OpOperand &in : block->getOpOperands())
          in.set(StopGradientOp::create(builder, block.getLoc(),
                                        normalize(builder, block.getLoc(), in.get())));
      }
      // Training semantics inside @train, inference semantics in @infer.
      block.walk([&](Operation *op) {
        if (auto bn = dyn_cast<BatchNormOp>(op))
          bn.setTraining(isTrain);
        if (auto dropout = dyn_cast<DropoutOp>(op); dropout && !isTrain) {
          dropout.replaceAllUsesWith(dropout.getInput());
          dropout.erase();
        }
      });
      SmallVector<Type> resultTypes(block.getResultTypes());
      if (isTrain)
        resultTypes.push_back(RankedTensorType::get({}, builder.getF32Type()));
      resultTypes.push_back(RankedTensorType::get({batch, numClasses}, builder.getF32Type()));
      unsigned numInputs = block.getInputs().size();
      BlockOp fresh = rebuildBlock(builder, block,
                                   isTrain ? ValueRange(labels) : ValueRange(),
                                   resultTypes);
      block.replaceAllUsesWith(fresh.getResults().take_front(block.getNumResults()));
      block.erase();
      if (loss == "ff" &&
          failed(rebatchForFF(builder, fresh, numInputs, b == 0,
                              isTrain ? fresh.getBodyBlock().getArguments().back() : Value(),
                              batch)))
        return signalPassFailure();
      YieldOp yield = fresh.getYield();
      builder.setInsertionPoint(yield);
      if (yield.getValues().size() != 1) {
        fresh.emitError("ff-synthesize-local-loss: block '")
            << fresh.getName() << "' hands on " << yield.getValues().size()
            << " tensors; a local loss needs exactly one block output";
        return signalPassFailure();
      }
      Value blockLabels = isTrain ? fresh.getBodyBlock().getArguments().back() : Value();
      FailureOr<std::pair<Value, Value>> head =
          loss == "ff" ? FailureOr<std::pair<Value, Value>>(buildFFHead(
                             builder, fresh, yield.getValues()[0], blockLabels, batch))
                       : buildHead(builder, fresh, yield.getValues()[0], blockLabels);
      if (failed(head))
        return signalPassFailure();
      SmallVector<Value> yielded(yield.getValues());
      if (isTrain)
        yielded.push_back(head->second);
      yielded.push_back(head->first);
      yield->setOperands(yielded);
      if (isTrain)
        losses.push_back(fresh.getResult(fresh.getNumResults() - 2));
      scores.push_back(fresh.getResults().back());
    }

    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    builder.setInsertionPoint(ret);
    SmallVector<Value> results;
    SmallVector<std::string> names;
    if (isTrain) {
      for (auto [b, pair] : llvm::enumerate(llvm::zip(losses, scores))) {
        results.push_back(std::get<0>(pair));
        results.push_back(std::get<1>(pair));
        names.push_back("loss" + std::to_string(b));
        names.push_back("scores" + std::to_string(b));
      }
    } else {
      Value v = VoteOp::create(builder, ret.getLoc(), scores, vote == "last",
                               voteSoftmax);
      results.push_back(v);
      names.push_back("vote");
      for (auto [b, s] : llvm::enumerate(scores)) {
        results.push_back(s);
        names.push_back("scores" + std::to_string(b));
      }
    }
    ret->setOperands(results);
    func.setType(FunctionType::get(ctx, func.getArgumentTypes(),
                                   ValueRange(results).getTypes()));
    for (auto [i, name] : llvm::enumerate(names))
      func.setResultAttrs(i, builder.getDictionaryAttr(builder.getNamedAttr(
                                 "ff.name", builder.getStringAttr(name))));
  }
  SmallVector<NamedAttribute> lossAttrs = {
      builder.getNamedAttr("loss", builder.getStringAttr(loss)),
      builder.getNamedAttr("margin", builder.getF64FloatAttr(margin)),
      builder.getNamedAttr("norm", builder.getStringAttr(norm)),
      builder.getNamedAttr("aux_input", builder.getStringAttr(auxInput)),
      builder.getNamedAttr("aux_kernel", builder.getI64IntegerAttr(auxKernel)),
      builder.getNamedAttr("vote", builder.getStringAttr(vote)),
      builder.getNamedAttr("vote_softmax", builder.getBoolAttr(voteSoftmax)),
  };
  if (loss == "ff")
    lossAttrs.append({builder.getNamedAttr("theta", builder.getF64FloatAttr(threshold)),
                      builder.getNamedAttr("goodness", builder.getStringAttr(goodness)),
                      builder.getNamedAttr("label_scale", builder.getF64FloatAttr(labelScale))});
  module->setAttr("ff.loss", builder.getDictionaryAttr(lossAttrs));
}

} // namespace
