//===- PartitionBlocks.cpp - gradient-isolated blocks --------------------===//
//
// Cuts `@forward` into a sequence of `ff.block` regions. The graph is a
// topologically ordered list of compute ops; a boundary after op i is legal
// only where exactly one activation tensor is live across it, so that the
// next block's input is one tensor that the loss synthesis can normalise and
// detach. The policies only choose among those cut points.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/PassUtils.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"

namespace ffc {
#define GEN_PASS_DEF_PARTITIONBLOCKS
#include "passes/Passes.h.inc"
} // namespace ffc

using namespace mlir;
using namespace ffc;
using namespace ffc::ff;

namespace {

/// Parameters and constants are not activations: every block that reads one
/// gets its own copy of the op.
bool isParameterLike(Operation *op) { return isa<ParamRefOp, ConstantOp>(op); }

bool isContraction(Operation *op) { return isa<Conv2DOp, LinearOp, MatMulOp>(op); }

/// A parametric layer: a contraction whose weight is a parameter.
bool isParametricLayer(Operation *op) {
  if (!isContraction(op))
    return false;
  Operation *weight = op->getOperand(1).getDefiningOp();
  return weight && isa<ParamRefOp>(weight);
}

bool isActivation(Operation *op) {
  return isa<ReluOp, ClipOp, HardSwishOp, SigmoidOp, HardSigmoidOp>(op);
}

/// The graph as an ordered list of compute ops with, for every boundary
/// "after op i", the activation values live across it.
struct GraphCuts {
  SmallVector<Operation *> ops;
  DenseMap<Operation *, int64_t> index;
  // crossing[i]: values defined at or before op i (or function arguments)
  // and used after it (or returned).
  SmallVector<SmallVector<Value, 2>> crossing;

  explicit GraphCuts(func::FuncOp func) {
    for (Operation &op : func.getBody().front().without_terminator())
      if (!isParameterLike(&op)) {
        index[&op] = ops.size();
        ops.push_back(&op);
      }
    int64_t n = ops.size();
    crossing.resize(n);
    auto lastUse = [&](Value v) {
      int64_t last = -1;
      for (Operation *user : v.getUsers())
        last = std::max(last, isa<func::ReturnOp>(user) ? n : index.lookup(user));
      return last;
    };
    auto addRange = [&](Value v, int64_t def) {
      int64_t last = lastUse(v);
      for (int64_t i = std::max<int64_t>(def, 0); i < last && i < n; ++i)
        crossing[i].push_back(v);
    };
    for (BlockArgument arg : func.getArguments())
      addRange(arg, 0);
    for (auto [i, op] : llvm::enumerate(ops))
      for (Value v : op->getResults())
        addRange(v, i);
  }
  int64_t size() const { return ops.size(); }
};

/// Describes a value for diagnostics: the ONNX node (or op) that defines it.
std::string describeDef(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return "the model input #" + std::to_string(arg.getArgNumber());
  return "'" + nodeName(v.getDefiningOp()) + "'";
}

struct PartitionBlocksPass
    : ffc::impl::PartitionBlocksBase<PartitionBlocksPass> {
  using PartitionBlocksBase::PartitionBlocksBase;

  void runOnOperation() override;

private:
  LogicalResult checkBoundary(const GraphCuts &cuts, int64_t i, StringRef why);
  SmallVector<int64_t> layerBoundaries(const GraphCuts &cuts, int64_t end,
                                       bool explain);
  FailureOr<SmallVector<int64_t>> residualBoundaries(const GraphCuts &cuts,
                                                     int64_t end);
  FailureOr<SmallVector<int64_t>> scopeBoundaries(const GraphCuts &cuts,
                                                  int64_t end);
  FailureOr<SmallVector<int64_t>> manualBoundaries(const GraphCuts &cuts,
                                                   int64_t end);
  void buildBlocks(func::FuncOp func, const GraphCuts &cuts,
                   ArrayRef<int64_t> boundaries, int64_t classifierStart);
};

LogicalResult PartitionBlocksPass::checkBoundary(const GraphCuts &cuts,
                                                 int64_t i, StringRef why) {
  const auto &live = cuts.crossing[i];
  if (live.size() == 1)
    return success();
  Operation *op = cuts.ops[i];
  if (live.empty())
    return op->emitError("ff-partition-blocks: ")
           << why << ": a block boundary after node '" << nodeName(op)
           << "' would leave the next block without an input";
  // Name the extra tensor: the one that is not the op's own result.
  Value skip = live.front() == op->getResult(0) ? live.back() : live.front();
  Operation *laterUser = nullptr;
  for (Operation *user : skip.getUsers())
    if (cuts.index.count(user) && cuts.index.lookup(user) > i)
      laterUser = user;
  auto diag = op->emitError("ff-partition-blocks: ")
              << why << ": a block boundary after node '" << nodeName(op)
              << "' would cut a skip connection or branch: " << describeDef(skip)
              << " is still used";
  if (laterUser)
    diag << " by '" << nodeName(laterUser) << "'";
  diag << " (" << live.size()
       << " tensors live across it; a boundary needs exactly one)";
  return failure();
}

SmallVector<int64_t> PartitionBlocksPass::layerBoundaries(const GraphCuts &cuts,
                                                          int64_t end,
                                                          bool explain) {
  // A block ends right before every parametric layer but the first, where a
  // single tensor is live; layers that a skip connection or branch spans stay
  // in one block (a residual unit, a squeeze-and-excitation branch).
  SmallVector<int64_t> out;
  bool seenLayer = false;
  for (int64_t i = 0; i < end; ++i) {
    if (!isParametricLayer(cuts.ops[i]))
      continue;
    if (seenLayer) {
      if (cuts.crossing[i - 1].size() == 1)
        out.push_back(i - 1);
      else if (explain)
        cuts.ops[i]->emitRemark()
            << "no block boundary before node '" << nodeName(cuts.ops[i])
            << "': a skip connection or branch spans it ("
            << cuts.crossing[i - 1].size() << " tensors live)";
    }
    seenLayer = true;
  }
  return out;
}

FailureOr<SmallVector<int64_t>>
PartitionBlocksPass::residualBoundaries(const GraphCuts &cuts, int64_t end) {
  // Unit ends: single-tensor cut points right after a residual join (through
  // its activation) or after a linear bottleneck (a conv/norm output that
  // goes straight into the next contraction).
  auto isResidualJoin = [&](Operation *op) {
    while (op && isActivation(op))
      op = op->getOperand(0).getDefiningOp();
    if (!op || !isa<AddOp>(op))
      return false;
    return llvm::all_of(op->getOperands(), [](Value v) {
      Operation *def = v.getDefiningOp();
      return !def || !isParameterLike(def);
    });
  };
  SmallVector<int64_t> ends;
  for (int64_t i = 0; i < end; ++i) {
    if (i + 1 < end && cuts.crossing[i].size() != 1)
      continue;
    Operation *op = cuts.ops[i];
    Operation *next = i + 1 < end ? cuts.ops[i + 1] : nullptr;
    bool feedsNext = next && next->getOperand(0) == op->getResult(0);
    bool linearBottleneck =
        isa<BatchNormOp, Conv2DOp>(op) && feedsNext && isContraction(next);
    // A join's activation belongs to its unit.
    bool activationFollows = feedsNext && isActivation(next);
    if ((isResidualJoin(op) && !activationFollows) || linearBottleneck)
      ends.push_back(i);
  }
  if (ends.empty()) // No residual structure: layer-wise units.
    return layerBoundaries(cuts, end, /*explain=*/false);
  // The last unit ends with the graph: a trailing head (after the last unit
  // end) joins it.
  ends.pop_back();
  return ends;
}

FailureOr<SmallVector<int64_t>>
PartitionBlocksPass::scopeBoundaries(const GraphCuts &cuts, int64_t end) {
  if (scopeDepth < 1)
    return getOperation()->emitError("ff-partition-blocks: scope-depth must be at least 1"),
           failure();
  // The scope key of an op: the first `scopeDepth` module-path components of
  // its ONNX node name; shallower names have no key and join the next run.
  auto key = [&](Operation *op) -> std::optional<std::string> {
    auto path = modulePath(op);
    if (path.size() < scopeDepth)
      return std::nullopt;
    return llvm::join(ArrayRef<std::string>(path).take_front(scopeDepth), "/");
  };
  SmallVector<int64_t> out;
  std::optional<std::string> current;
  for (int64_t i = 0; i < end; ++i) {
    auto k = key(cuts.ops[i]);
    if (!k)
      continue;
    if (current && *k != *current && i > 0) {
      // The run of `current` ended at the last op before any keyless ops.
      int64_t boundary = i - 1;
      while (boundary > 0 && !key(cuts.ops[boundary]))
        --boundary;
      if (failed(checkBoundary(cuts, boundary,
                               "policy 'scope' (between '" + *current +
                                   "' and '" + *k + "')")))
        return failure();
      out.push_back(boundary);
    }
    current = k;
  }
  return out;
}

FailureOr<SmallVector<int64_t>>
PartitionBlocksPass::manualBoundaries(const GraphCuts &cuts, int64_t end) {
  if (boundaries.empty())
    return getOperation()->emitError(
               "ff-partition-blocks: policy 'manual' needs boundaries=NODE,... "
               "(the ONNX node names that end blocks)"),
           failure();
  SmallVector<int64_t> out;
  for (const std::string &name : boundaries) {
    int64_t found = -1;
    for (int64_t i = 0; i < cuts.size(); ++i)
      if (nodeName(cuts.ops[i]) == name)
        found = i; // one ONNX node may become several ops: take the last
    if (found < 0) {
      auto diag = getOperation()->emitError("ff-partition-blocks: unknown node name '")
                  << name << "'; node names look like '"
                  << (cuts.size() ? nodeName(cuts.ops[0]) : std::string("?")) << "'";
      return failure();
    }
    if (found >= end - 1)
      return cuts.ops[found]->emitError("ff-partition-blocks: node '")
                 << name << "' is the last node of the trained graph; a block "
                            "cannot end there (the last block ends by itself)",
             failure();
    if (failed(checkBoundary(cuts, found, "manual boundary '" + name + "'")))
      return failure();
    out.push_back(found);
  }
  llvm::sort(out);
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

/// Index of the first classifier op: the first pooling-to-vector, flatten,
/// reshape or linear op after the last convolution; for models without
/// convolutions, the last contraction. -1 when there is none.
int64_t findClassifier(const GraphCuts &cuts) {
  int64_t lastConv = -1, lastContraction = -1;
  for (int64_t i = 0; i < cuts.size(); ++i) {
    if (isa<Conv2DOp>(cuts.ops[i]))
      lastConv = i;
    if (isContraction(cuts.ops[i]))
      lastContraction = i;
  }
  if (lastConv < 0)
    return lastContraction;
  for (int64_t i = lastConv + 1; i < cuts.size(); ++i)
    if (isa<GlobalAvgPoolOp, FlattenOp, ReshapeOp, LinearOp, MatMulOp>(cuts.ops[i]))
      return i;
  return -1;
}

void PartitionBlocksPass::buildBlocks(func::FuncOp func, const GraphCuts &cuts,
                                      ArrayRef<int64_t> ends,
                                      int64_t classifierStart) {
  MLIRContext *ctx = func.getContext();
  OpBuilder builder(ctx);
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  SmallVector<int64_t> segmentEnds(ends.begin(), ends.end());
  segmentEnds.push_back(cuts.size() - 1);
  int64_t start = 0;
  for (auto [b, end] : llvm::enumerate(segmentEnds)) {
    ArrayRef<Operation *> segment =
        ArrayRef<Operation *>(cuts.ops).slice(start, end - start + 1);
    llvm::SmallPtrSet<Operation *, 32> inSegment(segment.begin(), segment.end());
    // Inputs: activations defined outside; outputs: used outside.
    SmallVector<Value> inputs, outputs;
    for (Operation *op : segment)
      for (Value v : op->getOperands()) {
        Operation *def = v.getDefiningOp();
        if ((def && (inSegment.count(def) || isParameterLike(def))) ||
            llvm::is_contained(inputs, v))
          continue;
        inputs.push_back(v);
      }
    for (Operation *op : segment)
      for (Value v : op->getResults())
        if (llvm::any_of(v.getUsers(), [&](Operation *u) {
              return !inSegment.count(u);
            }))
          outputs.push_back(v);

    builder.setInsertionPoint(segment.front());
    std::string name = "block" + std::to_string(b);
    auto block = BlockOp::create(builder, segment.back()->getLoc(),
                                 ValueRange(outputs).getTypes(), inputs,
                                 builder.getStringAttr(name));
    block->setAttr("first_node", builder.getStringAttr(nodeName(segment.front())));
    block->setAttr("last_node", builder.getStringAttr(nodeName(segment.back())));
    // The block that computes the model's own logits (its classifier kept
    // as a block of its own, or inside the one block of backpropagation):
    // the bp head uses those logits instead of adding a head.
    if (classifierStart >= 0 && start <= classifierStart && classifierStart <= end)
      block->setAttr("classifier", builder.getUnitAttr());
    Block *body = builder.createBlock(&block.getBody());
    for (Value in : inputs)
      body->addArgument(in.getType(), in.getLoc());
    auto yield = YieldOp::create(builder, segment.back()->getLoc(), outputs);
    for (Operation *op : segment)
      op->moveBefore(yield);
    // Rewire: inside uses of inputs -> region arguments; outside uses of
    // outputs -> block results; parameters -> a local copy.
    for (auto [in, arg] : llvm::zip(inputs, body->getArguments()))
      in.replaceUsesWithIf(arg, [&](OpOperand &use) {
        return block->isProperAncestor(use.getOwner());
      });
    for (auto [out, res] : llvm::zip(outputs, block.getResults()))
      out.replaceUsesWithIf(res, [&](OpOperand &use) {
        return !block->isProperAncestor(use.getOwner());
      });
    IRMapping local;
    builder.setInsertionPointToStart(body);
    for (Operation *op : segment)
      for (OpOperand &use : op->getOpOperands()) {
        Operation *def = use.get().getDefiningOp();
        if (!def || !isParameterLike(def) || block->isProperAncestor(def))
          continue;
        if (!local.contains(use.get()))
          local.map(use.get(), builder.clone(*def)->getResult(0));
        use.set(local.lookup(use.get()));
      }
    if (b + 1 < segmentEnds.size())
      block->emitRemark() << "block '" << name << "' ends at node '"
                          << nodeName(segment.back()) << "'";
    start = end + 1;
  }
  (void)ret;
  // Parameter reads that no op uses any more.
  for (Operation &op : llvm::make_early_inc_range(func.getBody().front()))
    if (isParameterLike(&op) && op.use_empty())
      op.erase();
}

void PartitionBlocksPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto func = module.lookupSymbol<func::FuncOp>("forward");
  if (!func) {
    module.emitError("ff-partition-blocks: the module has no @forward function "
                     "(the model graph the frontend produces)");
    return signalPassFailure();
  }
  if (!func.getBody().hasOneBlock() ||
      !func.getBody().front().getOps<BlockOp>().empty()) {
    func.emitError("ff-partition-blocks: @forward is already partitioned");
    return signalPassFailure();
  }
  removeDeadOps(func);
  if (keepClassifier && !dropClassifier) {
    module.emitError("ff-partition-blocks: keep-classifier needs drop-classifier "
                     "(it keeps the classifier as its own block)");
    return signalPassFailure();
  }

  // The class count, before the classifier goes.
  if (func.getNumResults() == 1)
    if (auto t = dyn_cast<RankedTensorType>(func.getResultTypes()[0]);
        t && t.getRank() == 2 && !module->hasAttr("ff.classes"))
      module->setAttr("ff.classes", IntegerAttr::get(IntegerType::get(&getContext(), 64),
                                                     t.getDimSize(1)));

  GraphCuts cuts(func);
  if (cuts.size() == 0) {
    func.emitError("ff-partition-blocks: @forward computes nothing");
    return signalPassFailure();
  }
  int64_t classifier = dropClassifier ? findClassifier(cuts) : -1;
  int64_t end = cuts.size(); // ops [0, end) are partitioned by the policy
  if (classifier > 0) {
    if (cuts.crossing[classifier - 1].size() != 1) {
      cuts.ops[classifier]->emitError("ff-partition-blocks: the classifier starting at node '")
          << nodeName(cuts.ops[classifier]) << "' does not read a single tensor";
      return signalPassFailure();
    }
    end = classifier;
    if (!keepClassifier) {
      // SFF predicts from the blocks' votes: the classifier goes, and the
      // feature map that fed it becomes the graph's output.
      Value features = cuts.crossing[classifier - 1].front();
      auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
      ret->setOperands(features);
      func.setType(FunctionType::get(&getContext(), func.getArgumentTypes(),
                                     {features.getType()}));
      func.setResultAttr(0, "ff.name", StringAttr::get(&getContext(), "features"));
      removeDeadOps(func);
      cuts = GraphCuts(func);
      end = cuts.size();
      classifier = -1;
    }
  } else {
    classifier = -1;
  }
  // Kept in place (backpropagation): mark the block holding it.
  int64_t keptClassifier = -1;
  if (!dropClassifier) {
    int64_t found = findClassifier(cuts);
    if (found >= 0 && func.getNumResults() == 1)
      keptClassifier = found;
  }

  FailureOr<SmallVector<int64_t>> ends;
  if (policy == "layer")
    ends = layerBoundaries(cuts, end, /*explain=*/true);
  else if (policy == "residual")
    ends = residualBoundaries(cuts, end);
  else if (policy == "scope")
    ends = scopeBoundaries(cuts, end);
  else if (policy == "whole")
    ends = SmallVector<int64_t>();
  else if (policy == "manual")
    ends = manualBoundaries(cuts, end);
  else {
    module.emitError("ff-partition-blocks: unknown policy '")
        << policy << "'; policies: layer, residual, scope, whole, manual";
    return signalPassFailure();
  }
  if (failed(ends))
    return signalPassFailure();
  SmallVector<int64_t> all = *ends;
  if (classifier > 0)
    all.push_back(classifier - 1);
  buildBlocks(func, cuts, all, classifier >= 0 ? classifier : keptClassifier);
  module->setAttr("ff.partition", StringAttr::get(&getContext(), policy));
  // The dropped classifier's parameters are no longer part of the model.
  for (auto param : llvm::make_early_inc_range(module.getOps<ParamOp>()))
    if (SymbolTable::symbolKnownUseEmpty(param, module))
      param.erase();
}

} // namespace
