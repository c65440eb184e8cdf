//===- Schedule.cpp - the step programs -----------------------------------===//
//
// Turns @train into @train_step (with per-block correct counts) and @infer
// into @eval_step (correct counts of both votes and of every block) and
// @predict (the vote). Blocks run in program order; each block's region holds
// its forward, loss, backward and update, so everything it computes is dead
// once it yields and the next block reads only the detached, normalised
// output.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"
#include "passes/PassUtils.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"

namespace ffc {
#define GEN_PASS_DEF_SCHEDULE
#include "passes/Passes.h.inc"
} // namespace ffc

using namespace mlir;
using namespace ffc;
using namespace ffc::ff;

namespace {

void setResultNames(OpBuilder &builder, func::FuncOp func,
                    ArrayRef<std::string> names) {
  for (auto [i, name] : llvm::enumerate(names))
    func.setResultAttrs(i, builder.getDictionaryAttr(builder.getNamedAttr(
                               "ff.name", builder.getStringAttr(name))));
}

void setResults(OpBuilder &builder, func::FuncOp func, ValueRange results,
                ArrayRef<std::string> names) {
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  ret->setOperands(results);
  func.setType(FunctionType::get(func.getContext(), func.getArgumentTypes(),
                                 results.getTypes()));
  setResultNames(builder, func, names);
  removeDeadOps(func);
}

struct SchedulePass : ffc::impl::ScheduleBase<SchedulePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto train = module.lookupSymbol<func::FuncOp>("train");
    auto infer = module.lookupSymbol<func::FuncOp>("infer");
    if (!train || !infer) {
      module.emitError("ff-schedule: needs @train and @infer (run the training "
                       "passes up to ff-synthesize-optimizer first)");
      return signalPassFailure();
    }
    bool hasUpdates = false;
    train.walk([&](Operation *op) {
      if (isa<ParamGradOp>(op)) {
        op->emitError("ff-schedule: ff.param_grad left in @train (run "
                      "ff-synthesize-optimizer first)");
        hasUpdates = false;
        signalPassFailure();
      }
      if (isa<ParamStoreOp>(op))
        hasUpdates = true;
    });
    if (!hasUpdates) {
      train.emitError("ff-schedule: @train updates no parameter (run "
                      "ff-differentiate-blocks and ff-synthesize-optimizer first)");
      return signalPassFailure();
    }
    // Blocks, and between them only the normalisation and the detach.
    for (func::FuncOp func : {train, infer})
      for (Operation &op : func.getBody().front().without_terminator())
        if (!isa<BlockOp, LayerNormOp, TransposeOp, StopGradientOp, VoteOp>(op)) {
          op.emitError("ff-schedule: '")
              << op.getName() << "' between blocks of @" << func.getSymName()
              << "; only ff.block, the normalisation and ff.stop_gradient may be there";
          return signalPassFailure();
        }

    OpBuilder builder(&getContext());
    auto blocksOf = [](func::FuncOp func) {
      return SmallVector<BlockOp>(func.getBody().front().getOps<BlockOp>());
    };

    // train_step(input, labels, lr) -> (loss_b..., correct_b...)
    {
      auto ret = cast<func::ReturnOp>(train.getBody().front().getTerminator());
      builder.setInsertionPoint(ret);
      Value labels = train.getArgument(1);
      SmallVector<Value> losses, corrects;
      SmallVector<std::string> names;
      for (BlockOp block : blocksOf(train)) {
        losses.push_back(block.getResult(block.getNumResults() - 2));
        corrects.push_back(CountCorrectOp::create(builder, block.getLoc(),
                                                  block.getResults().back(), labels));
      }
      for (size_t b = 0; b < losses.size(); ++b)
        names.push_back("loss" + std::to_string(b));
      for (size_t b = 0; b < corrects.size(); ++b)
        names.push_back("correct" + std::to_string(b));
      SmallVector<Value> results(losses);
      results.append(corrects);
      setResults(builder, train, results, names);
      train.setSymName("train_step");
    }

    // predict(input) -> vote, and eval_step(input, labels) -> (correct with
    // the vote of all blocks, with the last block's, then per block).
    auto eval = cast<func::FuncOp>(infer->clone());
    eval.setSymName("eval_step");
    module.push_back(eval);
    // Programs in the order a training loop uses them.
    eval->moveAfter(train);
    infer->moveAfter(eval);
    {
      auto inferRet = cast<func::ReturnOp>(infer.getBody().front().getTerminator());
      setResults(builder, infer, inferRet.getOperand(0), {"vote"});
      infer.setSymName("predict");
    }
    {
      Block &entry = eval.getBody().front();
      int64_t batch = cast<RankedTensorType>(eval.getArgumentTypes()[0]).getDimSize(0);
      (void)eval.insertArgument(eval.getNumArguments(),
                          RankedTensorType::get({batch}, builder.getI32Type()),
                          builder.getDictionaryAttr(builder.getNamedAttr(
                              "ff.name", builder.getStringAttr("labels"))),
                          eval.getLoc());
      Value labels = eval.getArguments().back();
      auto ret = cast<func::ReturnOp>(entry.getTerminator());
      builder.setInsertionPoint(ret);
      SmallVector<Value> scores;
      for (BlockOp block : blocksOf(eval))
        scores.push_back(block.getResults().back());
      VoteOp configured = cast<VoteOp>(ret.getOperand(0).getDefiningOp());
      Value all = VoteOp::create(builder, ret.getLoc(), scores, /*last=*/false,
                                 configured.getSoftmax());
      SmallVector<Value> results = {
          CountCorrectOp::create(builder, ret.getLoc(), all, labels),
          CountCorrectOp::create(builder, ret.getLoc(), scores.back(), labels)};
      SmallVector<std::string> names = {"correct_all", "correct_last"};
      for (auto [b, s] : llvm::enumerate(scores)) {
        results.push_back(CountCorrectOp::create(builder, ret.getLoc(), s, labels));
        names.push_back("correct" + std::to_string(b));
      }
      setResults(builder, eval, results, names);
    }
    module->setAttr("ff.programs",
                    builder.getStrArrayAttr({"train_step", "eval_step", "predict"}));
  }
};

} // namespace
