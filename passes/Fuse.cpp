//===- Fuse.cpp - kernel groups of elementwise ops -------------------------===//
//
// Groups the elementwise ops of the scheduled step programs into `ff.fused`
// regions, one kernel each. A group grows along producer-consumer edges: an
// elementwise op joins the group of one of its producers when it iterates
// over the same shape and every other value it reads is available where the
// group starts (so the group can run at its first member's place). A
// reduction over trailing dimensions (global average pool, per-channel
// goodness, a spatial reduce_sum such as the SE gate's gradient) joins the
// group computing its input and ends that chain: nothing in the group reads
// it. Values that no op outside the group reads stay inside the kernel and
// never reach memory. Elementwise ops that nothing can join still become
// one-op groups: every elementwise op then runs as generated code. A training
// batch norm and the running-statistics update of its input become one op
// that computes the batch statistics once. Before grouping, a ReLU after a
// batch norm, a convolution or a linear layer becomes that op's epilogue, and
// the ReLU's gradient the batch-norm gradient's prologue (a mask).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

namespace ffc {
#define GEN_PASS_DEF_FUSE
#include "passes/Passes.h.inc"
} // namespace ffc

using namespace mlir;
using namespace ffc;
using namespace ffc::ff;

namespace {

struct Group {
  SmallVector<Operation *> members; // in program order
  Type space;                       // the iteration type
  Operation *first() const { return members.front(); }
};

/// Whether `value` is available at `point` (same block): a region argument,
/// a value from an enclosing region, or defined before `point`.
bool availableAt(Value value, Operation *point) {
  Operation *def = value.getDefiningOp();
  if (!def)
    return true;
  if (def->getBlock() != point->getBlock())
    return def->getBlock()->findAncestorOpInBlock(*point) == nullptr;
  return def->isBeforeInBlock(point);
}

/// Folds an `ff.relu` into the op it reads (a batch norm, a convolution, a
/// linear layer: their kernels apply it as an epilogue, oneDNN's as a post-op)
/// when nothing else reads the op's value but `ff.relu_grad` as its forward
/// input: relu_grad(y, dy) = relu_grad(relu(y), dy), since relu(y) > 0
/// exactly where y > 0. The value before the ReLU then never reaches memory.
template <typename OpTy> void foldReluEpilogue(Block &block) {
  for (OpTy producer : llvm::make_early_inc_range(block.getOps<OpTy>())) {
    if (producer.getRelu())
      continue;
    ReluOp relu;
    bool foldable = true;
    for (OpOperand &use : producer.getResult().getUses()) {
      Operation *user = use.getOwner();
      if (auto r = dyn_cast<ReluOp>(user))
        foldable &= !relu, relu = r;
      else
        foldable &= isa<ReluGradOp>(user) && use.getOperandNumber() == 0;
    }
    if (!foldable || !relu)
      continue;
    producer.setRelu(true);
    relu.getResult().replaceAllUsesWith(producer.getResult());
    relu.erase();
  }
}

/// Folds an `ff.relu_grad` that only a batch norm's gradient reads into that
/// op, which masks the incoming gradient with the relu's input as it reads it:
/// the masked gradient is never written.
void foldReluGradIntoBatchNormGrad(Block &block) {
  for (BatchNormGradOp grad : llvm::make_early_inc_range(block.getOps<BatchNormGradOp>())) {
    auto relu = grad.getOutputGrad().getDefiningOp<ReluGradOp>();
    if (grad.getReluOutput() || !relu || !relu->hasOneUse())
      continue;
    grad.getOutputGradMutable().assign(relu.getOutputGrad());
    grad.getReluOutputMutable().assign(relu.getInput());
    relu.erase();
  }
}

/// Merges a training batch norm and the running-statistics update of the same
/// input into one `ff.batch_norm_with_update`, which computes the batch
/// statistics once for both (instead of one more pass over the input).
void foldStatsUpdateIntoBatchNorm(Block &block) {
  for (BatchNormStatsUpdateOp update :
       llvm::make_early_inc_range(block.getOps<BatchNormStatsUpdateOp>())) {
    BatchNormOp bn;
    for (Operation *user : update.getInput().getUsers())
      if (auto candidate = dyn_cast<BatchNormOp>(user))
        if (candidate.getTraining() && candidate->getBlock() == &block &&
            candidate.getInput() == update.getInput())
          bn = candidate;
    if (!bn || !availableAt(update.getRunningMean(), bn) ||
        !availableAt(update.getRunningVar(), bn))
      continue;
    OpBuilder builder(bn);
    auto merged = BatchNormWithUpdateOp::create(
        builder, bn.getLoc(), bn.getInput(), bn.getScale(), bn.getBias(),
        update.getRunningMean(), update.getRunningVar(), bn.getEpsilonAttr(),
        update.getMomentumAttr(), bn.getReluAttr());
    bn.getResult().replaceAllUsesWith(merged.getOutput());
    update.getNewMean().replaceAllUsesWith(merged.getNewMean());
    update.getNewVar().replaceAllUsesWith(merged.getNewVar());
    update.erase();
    bn.erase();
  }
}

struct FusePass : ffc::impl::FuseBase<FusePass> {
  unsigned nextKernel = 0;

  void fuseBlock(Block &block) {
    foldReluEpilogue<BatchNormOp>(block);
    foldReluEpilogue<Conv2DOp>(block);
    foldReluEpilogue<LinearOp>(block);
    foldReluGradIntoBatchNormGrad(block);
    foldStatsUpdateIntoBatchNorm(block);
    std::vector<std::unique_ptr<Group>> groups;
    DenseMap<Operation *, Group *> groupOf;
    for (Operation &op : block) {
      if (FusedOp::isFusibleReduction(&op)) {
        // A reduction ends the group that computes its input: the reduced
        // value is then never written. A reduction of anything else stays
        // the runtime's kernel (nothing to save).
        Operation *def = op.getOperand(0).getDefiningOp();
        Group *producer = def ? groupOf.lookup(def) : nullptr;
        if (producer && producer->space == op.getOperand(0).getType()) {
          producer->members.push_back(&op);
          groupOf[&op] = producer;
        }
        continue;
      }
      if (!FusedOp::isFusible(&op))
        continue;
      Type space = op.getResult(0).getType();
      Group *target = nullptr;
      for (Value operand : op.getOperands()) {
        Operation *def = operand.getDefiningOp();
        auto it = def ? groupOf.find(def) : groupOf.end();
        if (it == groupOf.end() || it->second->space != space)
          continue;
        Group *candidate = it->second;
        // Operands come from the group (not from one of its reductions, which
        // are complete only when the kernel ends) or exist where it starts.
        bool legal = llvm::all_of(op.getOperands(), [&](Value v) {
          Operation *d = v.getDefiningOp();
          if (d && groupOf.lookup(d) == candidate)
            return !FusedOp::isFusibleReduction(d);
          return availableAt(v, candidate->first());
        });
        if (legal) {
          target = candidate;
          break;
        }
      }
      if (!target) {
        groups.push_back(std::make_unique<Group>());
        target = groups.back().get();
        target->space = space;
      }
      target->members.push_back(&op);
      groupOf[&op] = target;
    }
    for (auto &group : groups)
      materialize(*group, groupOf);
  }

  void materialize(Group &group, DenseMap<Operation *, Group *> &groupOf) {
    llvm::SetVector<Value> inputs;
    SmallVector<Value> outputs;
    auto inGroup = [&](Operation *op) {
      auto it = groupOf.find(op);
      return it != groupOf.end() && it->second == &group;
    };
    for (Operation *op : group.members) {
      for (Value operand : op->getOperands())
        if (!operand.getDefiningOp() || !inGroup(operand.getDefiningOp()))
          inputs.insert(operand);
      for (Value result : op->getResults())
        if (llvm::any_of(result.getUsers(), [&](Operation *user) {
              Operation *inBlock = group.first()->getBlock()->findAncestorOpInBlock(*user);
              return !inBlock || !inGroup(inBlock);
            }))
          outputs.push_back(result);
    }
    if (outputs.empty())
      return; // dead ops; the schedule removed them, nothing to run
    OpBuilder builder(group.first());
    SmallVector<Type> resultTypes;
    for (Value v : outputs)
      resultTypes.push_back(v.getType());
    std::string name = "k" + std::to_string(nextKernel++);
    auto fused = FusedOp::create(builder, group.first()->getLoc(), resultTypes,
                                 inputs.getArrayRef(), builder.getStringAttr(name));
    Block *body = builder.createBlock(&fused.getBody());
    IRMapping mapping;
    for (Value input : inputs)
      mapping.map(input, body->addArgument(input.getType(), input.getLoc()));
    builder.setInsertionPointToStart(body);
    for (Operation *op : group.members)
      builder.clone(*op, mapping);
    SmallVector<Value> yielded;
    for (Value v : outputs)
      yielded.push_back(mapping.lookup(v));
    YieldOp::create(builder, fused.getLoc(), yielded);
    for (auto [output, result] : llvm::zip_equal(outputs, fused.getResults()))
      output.replaceAllUsesWith(result);
    for (Operation *op : llvm::reverse(group.members)) {
      groupOf.erase(op);
      op->erase();
    }
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    for (const char *name : {"train_step", "eval_step", "predict"}) {
      auto func = module.lookupSymbol<func::FuncOp>(name);
      if (!func) {
        module.emitError("ff-fuse: module has no step function '")
            << name << "' (run ff-schedule first)";
        return signalPassFailure();
      }
      SmallVector<Block *> blocks{&func.getBody().front()};
      func.walk([&](BlockOp block) { blocks.push_back(&block.getBodyBlock()); });
      for (Block *block : blocks)
        fuseBlock(*block);
    }
  }
};

} // namespace
