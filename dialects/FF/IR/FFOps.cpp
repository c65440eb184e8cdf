//===- FFOps.cpp - verifiers and shape inference of the ff ops ------------===//
//
// Each shape-changing op infers its result type from its operands and
// attributes (InferTypeOpAdaptor), so the same rules build ops in the frontend
// and in the passes, and verify every op a user writes.
//
//===----------------------------------------------------------------------===//
#include "dialects/FF/IR/FFOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace ffc::ff;

namespace {

RankedTensorType rankedType(Value v) {
  return llvm::cast<RankedTensorType>(v.getType());
}

/// Output size of a sliding window along one dimension (ONNX/PyTorch rule).
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBegin, int64_t padEnd, int64_t dilation,
                         bool ceilMode) {
  int64_t effective = dilation * (kernel - 1) + 1;
  int64_t span = in + padBegin + padEnd - effective;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // With ceil_mode, the last window must start inside the input or the
  // leading padding (PyTorch drops a window that starts in the end padding).
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

/// Checks the shared attributes of 2-D windowed ops (conv, pools).
LogicalResult checkWindowAttrs(std::optional<Location> loc, StringRef op,
                               ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> padding,
                               ArrayRef<int64_t> dilations) {
  if (kernel.size() != 2 || llvm::any_of(kernel, [](int64_t k) { return k < 1; }))
    return emitOptionalError(loc, op, ": kernel must be 2 positive sizes");
  if (strides.size() != 2 || llvm::any_of(strides, [](int64_t s) { return s < 1; }))
    return emitOptionalError(loc, op, ": strides must be 2 positive values");
  if (padding.size() != 4 || llvm::any_of(padding, [](int64_t p) { return p < 0; }))
    return emitOptionalError(
        loc, op, ": padding must be 4 non-negative values [top, left, bottom, right]");
  if (dilations.size() != 2 ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return emitOptionalError(loc, op, ": dilations must be 2 positive values");
  return success();
}

/// Infers N x C x OH x OW for a windowed op over an NCHW input.
LogicalResult inferWindowed(std::optional<Location> loc, StringRef op,
                            RankedTensorType input, int64_t outChannels,
                            ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                            ArrayRef<int64_t> padding,
                            ArrayRef<int64_t> dilations, bool ceilMode,
                            SmallVectorImpl<Type> &results) {
  if (input.getRank() != 4)
    return emitOptionalError(loc, op, ": input must be 4-D (NCHW), got ", input);
  if (failed(checkWindowAttrs(loc, op, kernel, strides, padding, dilations)))
    return failure();
  auto shape = input.getShape();
  int64_t oh = windowOutputSize(shape[2], kernel[0], strides[0], padding[0],
                                padding[2], dilations[0], ceilMode);
  int64_t ow = windowOutputSize(shape[3], kernel[1], strides[1], padding[1],
                                padding[3], dilations[1], ceilMode);
  if (oh < 1 || ow < 1)
    return emitOptionalError(loc, op, ": the window (", kernel[0], "x",
                             kernel[1], ", dilation ", dilations[0], "x",
                             dilations[1], ") does not fit the padded ",
                             shape[2], "x", shape[3], " input");
  results.push_back(RankedTensorType::get({shape[0], outChannels, oh, ow},
                                          input.getElementType()));
  return success();
}

LogicalResult checkVector(std::optional<Location> loc, StringRef op,
                          StringRef what, Value v, int64_t size, Type elt) {
  auto t = rankedType(v);
  if (t.getRank() != 1 || t.getDimSize(0) != size)
    return emitOptionalError(loc, op, ": ", what, " must be a vector of ", size,
                             " elements, got ", t);
  if (t.getElementType() != elt)
    return emitOptionalError(loc, op, ": ", what, " element type ",
                             t.getElementType(), " differs from the input's ",
                             elt);
  return success();
}

LogicalResult checkSameElementType(std::optional<Location> loc, StringRef op,
                                   Value a, Value b) {
  if (rankedType(a).getElementType() != rankedType(b).getElementType())
    return emitOptionalError(loc, op, ": operand element types differ (",
                             rankedType(a).getElementType(), " vs ",
                             rankedType(b).getElementType(), ")");
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// ParamOp, ParamRefOp, ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ParamOp::verify() {
  auto type = llvm::dyn_cast<RankedTensorType>(getInitialValue().getType());
  if (!type || !type.hasStaticShape())
    return emitOpError("initial value must be a statically shaped tensor");
  if (!llvm::isa<FloatType>(type.getElementType()))
    return emitOpError("parameters must have a float element type, got ")
           << type.getElementType();
  if (!isa_and_nonnull<ModuleOp>((*this)->getParentOp()))
    return emitOpError("must be declared at module level");
  return success();
}

LogicalResult ParamRefOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto param = symbols.lookupNearestSymbolFrom<ParamOp>(*this, getNameAttr());
  if (!param)
    return emitOpError("refers to '") << getName() << "', which is not an ff.param";
  if (param.getType() != getResult().getType())
    return emitOpError("result type ")
           << getResult().getType() << " differs from the type "
           << param.getType() << " of parameter '" << getName() << "'";
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

LogicalResult Conv2DOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  auto weight = rankedType(adaptor.getWeight());
  if (input.getRank() != 4 || weight.getRank() != 4)
    return emitOptionalError(loc, "conv2d: input and weight must be 4-D (NCHW, OIHW)");
  if (failed(checkSameElementType(loc, "conv2d", adaptor.getInput(),
                                  adaptor.getWeight())))
    return failure();
  int64_t groups = adaptor.getGroups();
  int64_t channels = input.getDimSize(1), outChannels = weight.getDimSize(0);
  if (groups < 1 || channels % groups != 0 || outChannels % groups != 0)
    return emitOptionalError(loc, "conv2d: groups (", groups,
                             ") must divide the input channels (", channels,
                             ") and the output channels (", outChannels, ")");
  if (weight.getDimSize(1) * groups != channels)
    return emitOptionalError(loc, "conv2d: weight expects ", weight.getDimSize(1),
                             " channels per group but the input has ", channels,
                             " channels in ", groups, " group(s)");
  if (adaptor.getBias() &&
      failed(checkVector(loc, "conv2d", "bias", adaptor.getBias(), outChannels,
                         input.getElementType())))
    return failure();
  ArrayRef<int64_t> kernel = weight.getShape().drop_front(2);
  return inferWindowed(loc, "conv2d", input, outChannels, kernel,
                       adaptor.getStrides(), adaptor.getPadding(),
                       adaptor.getDilations(), /*ceilMode=*/false, results);
}

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  auto weight = rankedType(adaptor.getWeight());
  if (input.getRank() != 2 || weight.getRank() != 2)
    return emitOptionalError(loc, "linear: input (N x in) and weight (out x in) must be 2-D");
  if (failed(checkSameElementType(loc, "linear", adaptor.getInput(),
                                  adaptor.getWeight())))
    return failure();
  if (input.getDimSize(1) != weight.getDimSize(1))
    return emitOptionalError(loc, "linear: input has ", input.getDimSize(1),
                             " features but the weight expects ",
                             weight.getDimSize(1));
  if (adaptor.getBias() &&
      failed(checkVector(loc, "linear", "bias", adaptor.getBias(),
                         weight.getDimSize(0), input.getElementType())))
    return failure();
  results.push_back(RankedTensorType::get(
      {input.getDimSize(0), weight.getDimSize(0)}, input.getElementType()));
  return success();
}

/// NumPy broadcasting of two shapes; fails if a pair of sizes is incompatible.
static LogicalResult broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                                     SmallVectorImpl<int64_t> &out) {
  size_t rank = std::max(a.size(), b.size());
  out.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return failure();
    out[i] = da == 1 ? db : da;
  }
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  auto lhs = rankedType(adaptor.getLhs());
  auto rhs = rankedType(adaptor.getRhs());
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return emitOptionalError(loc, "matmul: operands must have rank 2 or more");
  if (failed(checkSameElementType(loc, "matmul", adaptor.getLhs(),
                                  adaptor.getRhs())))
    return failure();
  int64_t m = lhs.getDimSize(lhs.getRank() - 2), k = lhs.getDimSize(lhs.getRank() - 1);
  int64_t k2 = rhs.getDimSize(rhs.getRank() - 2), n = rhs.getDimSize(rhs.getRank() - 1);
  if (k != k2)
    return emitOptionalError(loc, "matmul: contraction sizes differ (", k,
                             " vs ", k2, ")");
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(lhs.getShape().drop_back(2),
                             rhs.getShape().drop_back(2), shape)))
    return emitOptionalError(loc, "matmul: batch dimensions of ", lhs, " and ",
                             rhs, " do not broadcast");
  shape.push_back(m);
  shape.push_back(n);
  results.push_back(RankedTensorType::get(shape, lhs.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  if (input.getRank() < 2)
    return emitOptionalError(loc, "batch_norm: input must have rank 2 or more (N x C x ...)");
  int64_t c = input.getDimSize(1);
  Type elt = input.getElementType();
  if (failed(checkVector(loc, "batch_norm", "scale", adaptor.getScale(), c, elt)) ||
      failed(checkVector(loc, "batch_norm", "bias", adaptor.getBias(), c, elt)) ||
      failed(checkVector(loc, "batch_norm", "running_mean",
                         adaptor.getRunningMean(), c, elt)) ||
      failed(checkVector(loc, "batch_norm", "running_var",
                         adaptor.getRunningVar(), c, elt)))
    return failure();
  if (adaptor.getEpsilon().convertToDouble() <= 0.0)
    return emitOptionalError(loc, "batch_norm: epsilon must be positive");
  double momentum = adaptor.getMomentum().convertToDouble();
  if (momentum < 0.0 || momentum > 1.0)
    return emitOptionalError(loc, "batch_norm: momentum must be in [0, 1], got ",
                             momentum);
  results.push_back(input);
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis >= input.getRank())
    return emitOptionalError(loc, "layer_norm: axis ", axis,
                             " is out of range for rank ", input.getRank());
  if (adaptor.getEpsilon().convertToDouble() <= 0.0)
    return emitOptionalError(loc, "layer_norm: epsilon must be positive");
  ArrayRef<int64_t> normalized = input.getShape().drop_front(axis);
  for (auto [what, v] : {std::pair<StringRef, Value>{"scale", adaptor.getScale()},
                         {"bias", adaptor.getBias()}}) {
    if (!v)
      continue;
    auto t = rankedType(v);
    if (t.getShape() != normalized || t.getElementType() != input.getElementType())
      return emitOptionalError(loc, "layer_norm: ", what, " must have type ",
                               RankedTensorType::get(normalized, input.getElementType()),
                               " (the normalised dimensions), got ", t);
  }
  results.push_back(input);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult ClipOp::verify() {
  if (getMin().convertToDouble() > getMax().convertToDouble())
    return emitOpError("min (") << getMin().convertToDouble()
                                << ") is greater than max ("
                                << getMax().convertToDouble() << ")";
  return success();
}

LogicalResult DropoutOp::verify() {
  double ratio = getRatio().convertToDouble();
  if (ratio < 0.0 || ratio >= 1.0)
    return emitOpError("ratio must be in [0, 1), got ") << ratio;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  int64_t rank = getInput().getType().getRank();
  auto axis = static_cast<int64_t>(getAxis());
  if (axis < -rank || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}

static LogicalResult inferBroadcast(std::optional<Location> loc, StringRef op,
                                    Value lhs, Value rhs,
                                    SmallVectorImpl<Type> &results) {
  auto a = rankedType(lhs), b = rankedType(rhs);
  if (failed(checkSameElementType(loc, op, lhs, rhs)))
    return failure();
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(a.getShape(), b.getShape(), shape)))
    return emitOptionalError(loc, op, ": shapes ", a, " and ", b,
                             " do not broadcast");
  results.push_back(RankedTensorType::get(shape, a.getElementType()));
  return success();
}

#define FF_BINARY_INFER(OpClass, name)                                         \
  LogicalResult OpClass::inferReturnTypes(MLIRContext *,                       \
                                          std::optional<Location> loc,         \
                                          Adaptor adaptor,                     \
                                          SmallVectorImpl<Type> &results) {    \
    return inferBroadcast(loc, name, adaptor.getLhs(), adaptor.getRhs(),       \
                          results);                                            \
  }
FF_BINARY_INFER(AddOp, "add")
FF_BINARY_INFER(SubOp, "sub")
FF_BINARY_INFER(MulOp, "mul")
FF_BINARY_INFER(DivOp, "div")
#undef FF_BINARY_INFER

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

LogicalResult MaxPool2DOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  int64_t c = input.getRank() == 4 ? input.getDimSize(1) : 0;
  return inferWindowed(loc, "max_pool2d", input, c, adaptor.getKernel(),
                       adaptor.getStrides(), adaptor.getPadding(),
                       adaptor.getDilations(), adaptor.getCeilMode(), results);
}

LogicalResult AvgPool2DOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  int64_t c = input.getRank() == 4 ? input.getDimSize(1) : 0;
  ArrayRef<int64_t> kernel = adaptor.getKernel();
  ArrayRef<int64_t> padding = adaptor.getPadding();
  if (kernel.size() == 2 && padding.size() == 4 &&
      (padding[0] >= kernel[0] || padding[2] >= kernel[0] ||
       padding[1] >= kernel[1] || padding[3] >= kernel[1]))
    return emitOptionalError(loc, "avg_pool2d: padding must be smaller than the kernel");
  SmallVector<int64_t> unitDilation = {1, 1};
  return inferWindowed(loc, "avg_pool2d", input, c, kernel,
                       adaptor.getStrides(), padding, unitDilation,
                       adaptor.getCeilMode(), results);
}

LogicalResult GlobalAvgPoolOp::inferReturnTypes(MLIRContext *,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  if (input.getRank() != 4)
    return emitOptionalError(loc, "global_avg_pool: input must be 4-D (NCHW), got ", input);
  results.push_back(RankedTensorType::get(
      {input.getDimSize(0), input.getDimSize(1), 1, 1}, input.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Shape
//===----------------------------------------------------------------------===//

LogicalResult FlattenOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  int64_t axis = adaptor.getAxis();
  if (axis < 0 || axis > input.getRank())
    return emitOptionalError(loc, "flatten: axis ", axis,
                             " is out of range [0, ", input.getRank(), "]");
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < input.getRank(); ++i)
    (i < axis ? outer : inner) *= input.getDimSize(i);
  results.push_back(RankedTensorType::get({outer, inner}, input.getElementType()));
  return success();
}

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ") << in << " (" << in.getNumElements()
                                          << " elements) into " << out << " ("
                                          << out.getNumElements() << " elements)";
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getOutput().getType())
    return getInput();
  return {};
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &results) {
  if (adaptor.getInputs().empty())
    return emitOptionalError(loc, "concat: needs at least one operand");
  auto first = rankedType(adaptor.getInputs().front());
  int64_t rank = first.getRank(), axis = adaptor.getAxis();
  if (axis < 0 || axis >= rank)
    return emitOptionalError(loc, "concat: axis ", axis,
                             " is out of range for rank ", rank);
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (auto [i, v] : llvm::enumerate(adaptor.getInputs())) {
    auto t = rankedType(v);
    if (t.getRank() != rank || t.getElementType() != first.getElementType())
      return emitOptionalError(loc, "concat: operand ", i, " has type ", t,
                               ", incompatible with ", first);
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis && t.getDimSize(d) != first.getDimSize(d))
        return emitOptionalError(loc, "concat: operand ", i, " has type ", t,
                                 ", which differs from ", first,
                                 " outside axis ", axis);
    shape[axis] += t.getDimSize(axis);
  }
  results.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Training structure
//===----------------------------------------------------------------------===//

YieldOp BlockOp::getYield() { return cast<YieldOp>(getBodyBlock().getTerminator()); }

LogicalResult BlockOp::verify() {
  Block &body = getBodyBlock();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("has ") << getInputs().size()
                               << " inputs but its region takes "
                               << body.getNumArguments() << " arguments";
  for (auto [i, arg, in] : llvm::enumerate(body.getArguments(), getInputs()))
    if (arg.getType() != in.getType())
      return emitOpError("region argument ") << i << " has type " << arg.getType()
                                             << " but input " << i << " has type "
                                             << in.getType();
  auto yield = dyn_cast<YieldOp>(body.back());
  if (!yield)
    return emitOpError("region must end with ff.yield");
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yields ")
           << yield.getValues().getTypes() << " but the block results are "
           << getResultTypes();
  return success();
}

LogicalResult GoodnessOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  if (input.getRank() < 2)
    return emitOptionalError(loc, "goodness: input must be N x C x ..., got ", input);
  int64_t groups = adaptor.getGroups(), c = input.getDimSize(1);
  if (groups < 1 || c % groups != 0)
    return emitOptionalError(loc, "goodness: ", groups,
                             " groups do not divide the ", c, " channels");
  results.push_back(RankedTensorType::get({input.getDimSize(0), groups},
                                          input.getElementType()));
  return success();
}

/// Checks `scores` (N x K) against `labels` (N).
static LogicalResult checkScoresAndLabels(std::optional<Location> loc,
                                          StringRef op, Value scores,
                                          Value labels) {
  auto s = rankedType(scores), l = rankedType(labels);
  if (s.getRank() != 2)
    return emitOptionalError(loc, op, ": scores must be N x K, got ", s);
  if (l.getDimSize(0) != s.getDimSize(0))
    return emitOptionalError(loc, op, ": ", l.getDimSize(0), " labels for ",
                             s.getDimSize(0), " samples");
  return success();
}

LogicalResult MarginCrossEntropyOp::inferReturnTypes(
    MLIRContext *ctx, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &results) {
  if (failed(checkScoresAndLabels(loc, "margin_cross_entropy",
                                  adaptor.getScores(), adaptor.getLabels())))
    return failure();
  results.push_back(RankedTensorType::get({}, Float32Type::get(ctx)));
  return success();
}

LogicalResult ThresholdLossOp::inferReturnTypes(MLIRContext *ctx,
                                                std::optional<Location> loc,
                                                Adaptor adaptor,
                                                SmallVectorImpl<Type> &results) {
  if (adaptor.getPositive().getType() != adaptor.getNegative().getType())
    return emitOptionalError(loc, "threshold_loss: positive and negative goodness "
                                  "must have the same type");
  results.push_back(RankedTensorType::get({}, Float32Type::get(ctx)));
  return success();
}

LogicalResult VoteOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &results) {
  if (adaptor.getScores().empty())
    return emitOptionalError(loc, "vote: needs at least one score matrix");
  Type first = adaptor.getScores().front().getType();
  if (rankedType(adaptor.getScores().front()).getRank() != 2)
    return emitOptionalError(loc, "vote: scores must be N x K, got ", first);
  for (Value v : adaptor.getScores())
    if (v.getType() != first)
      return emitOptionalError(loc, "vote: every vote must have type ", first,
                               ", got ", v.getType());
  results.push_back(first);
  return success();
}

LogicalResult CountCorrectOp::inferReturnTypes(MLIRContext *ctx,
                                               std::optional<Location> loc,
                                               Adaptor adaptor,
                                               SmallVectorImpl<Type> &results) {
  if (failed(checkScoresAndLabels(loc, "count_correct", adaptor.getScores(),
                                  adaptor.getLabels())))
    return failure();
  results.push_back(RankedTensorType::get({}, IntegerType::get(ctx, 32)));
  return success();
}

LogicalResult EmbedLabelOp::verify() {
  auto input = getInput().getType();
  if (input.getRank() < 2)
    return emitOpError("input must be N x ..., got ") << input;
  int64_t perSample = 1;
  for (int64_t d : input.getShape().drop_front())
    perSample *= d;
  auto classes = static_cast<int64_t>(getClasses());
  if (classes < 2 || classes > perSample)
    return emitOpError("classes (") << classes << ") must be in [2, "
                                    << perSample << "] (elements per sample)";
  if (getLabels().getType().getDimSize(0) != input.getDimSize(0))
    return emitOpError("has ") << getLabels().getType().getDimSize(0)
                               << " labels for " << input.getDimSize(0) << " samples";
  if (getShift() && getShift().getType() != getLabels().getType())
    return emitOpError("shift must have the labels' type");
  return success();
}

/// Shared by the ops that name a parameter: it must exist with this type.
static LogicalResult verifyParamUse(Operation *op, FlatSymbolRefAttr name,
                                    Type type, SymbolTableCollection &symbols,
                                    bool mustBeTrainable) {
  auto param = symbols.lookupNearestSymbolFrom<ParamOp>(op, name);
  if (!param)
    return op->emitOpError("refers to '")
           << name.getValue() << "', which is not an ff.param";
  if (param.getType() != type)
    return op->emitOpError("value type ")
           << type << " differs from the type " << param.getType()
           << " of parameter '" << name.getValue() << "'";
  if (mustBeTrainable && param.getBuffer())
    return op->emitOpError("parameter '")
           << name.getValue() << "' is a buffer, which is not trained";
  return success();
}

LogicalResult ParamGradOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyParamUse(*this, getNameAttr(), getGradient().getType(), symbols,
                        /*mustBeTrainable=*/true);
}

LogicalResult ParamStoreOp::verifySymbolUses(SymbolTableCollection &symbols) {
  return verifyParamUse(*this, getNameAttr(), getValue().getType(), symbols,
                        /*mustBeTrainable=*/false);
}

LogicalResult SGDStepOp::verify() {
  Type t = getParam().getType();
  if (getGradient().getType() != t || getNewParam().getType() != t)
    return emitOpError("parameter, gradient and new parameter must have one type");
  bool hasMomentum = getMomentum().convertToDouble() != 0.0;
  if (getMomentum().convertToDouble() < 0.0)
    return emitOpError("momentum must be non-negative");
  if (hasMomentum != static_cast<bool>(getBuffer()) ||
      hasMomentum != static_cast<bool>(getNewBuffer()))
    return emitOpError("a momentum buffer operand and result are needed exactly "
                       "when momentum is non-zero");
  if (getBuffer() && (getBuffer().getType() != t || getNewBuffer().getType() != t))
    return emitOpError("the momentum buffer must have the parameter's type");
  if (getNesterov() && !hasMomentum)
    return emitOpError("Nesterov momentum needs a non-zero momentum");
  if (getWeightDecay().convertToDouble() < 0.0)
    return emitOpError("weight_decay must be non-negative");
  return success();
}

LogicalResult AdamStepOp::verify() {
  for (auto [name, v] : {std::pair<StringRef, double>{"beta1", getBeta1().convertToDouble()},
                         {"beta2", getBeta2().convertToDouble()}})
    if (v < 0.0 || v >= 1.0)
      return emitOpError(name) << " must be in [0, 1), got " << v;
  if (getEpsilon().convertToDouble() <= 0.0)
    return emitOpError("epsilon must be positive");
  if (getWeightDecay().convertToDouble() < 0.0)
    return emitOpError("weight_decay must be non-negative");
  return success();
}

LogicalResult BatchNormStatsUpdateOp::verify() {
  auto input = getInput().getType();
  if (input.getRank() < 2 || getRunningMean().getType().getRank() != 1 ||
      getRunningMean().getType().getDimSize(0) != input.getDimSize(1))
    return emitOpError("statistics must be vectors over dimension 1 of the input");
  if (getRunningMean().getType().getElementType() != input.getElementType())
    return emitOpError("statistics must have the input's element type");
  double momentum = getMomentum().convertToDouble();
  if (momentum < 0.0 || momentum > 1.0)
    return emitOpError("momentum must be in [0, 1], got ") << momentum;
  return success();
}

LogicalResult EmbedAllLabelsOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                                 Adaptor adaptor,
                                                 SmallVectorImpl<Type> &results) {
  auto input = rankedType(adaptor.getInput());
  if (input.getRank() < 2)
    return emitOptionalError(loc, "embed_all_labels: input must be N x ..., got ", input);
  int64_t perSample = 1;
  for (int64_t d : input.getShape().drop_front())
    perSample *= d;
  auto classes = static_cast<int64_t>(adaptor.getClasses());
  if (classes < 2 || classes > perSample)
    return emitOptionalError(loc, "embed_all_labels: classes (", classes,
                             ") must be in [2, ", perSample, "] (elements per sample)");
  SmallVector<int64_t> shape(input.getShape());
  shape[0] *= classes;
  results.push_back(RankedTensorType::get(shape, input.getElementType()));
  return success();
}

LogicalResult RandomLabelShiftOp::verify() {
  if (getClasses() < 2)
    return emitOpError("classes must be at least 2, got ") << getClasses();
  return success();
}

LogicalResult DropoutMaskOp::verify() {
  double ratio = getRatio().convertToDouble();
  if (ratio < 0.0 || ratio >= 1.0)
    return emitOpError("ratio must be in [0, 1), got ") << ratio;
  return success();
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

/// The gradient ops take the forward op's attributes; their operand and
/// result types must be those of a forward op with those attributes.
static LogicalResult expectType(Operation *op, StringRef what, Type expected,
                                Type actual) {
  if (expected != actual)
    return op->emitOpError(what) << " has type " << actual << " but the forward op gives "
                                 << expected;
  return success();
}

/// The convolution gradients carry the forward convolution's attributes:
/// `input` and `weight` are the forward operand types, and `outputGrad` must
/// be the type the forward convolution produces.
static LogicalResult verifyConvGrad(Operation *op, RankedTensorType input,
                                    RankedTensorType weight, Type outputGrad,
                                    ArrayRef<int64_t> strides,
                                    ArrayRef<int64_t> padding,
                                    ArrayRef<int64_t> dilations, int64_t groups) {
  if (input.getRank() != 4 || weight.getRank() != 4)
    return op->emitOpError("input and weight must be 4-D");
  SmallVector<Type> forward;
  if (failed(inferWindowed(op->getLoc(), op->getName().stripDialect(), input,
                           weight.getDimSize(0), weight.getShape().drop_front(2),
                           strides, padding, dilations, false, forward)))
    return failure();
  if (groups < 1 || weight.getDimSize(0) % groups != 0)
    return op->emitOpError("groups (") << groups << ") must divide the output channels ("
                                       << weight.getDimSize(0) << ")";
  if (weight.getDimSize(1) * groups != input.getDimSize(1))
    return op->emitOpError("weight and groups do not match the input channels");
  return expectType(op, "output_grad", forward[0], outputGrad);
}

LogicalResult Conv2DGradInputOp::verify() {
  return verifyConvGrad(*this, getInputGrad().getType(), getWeight().getType(),
                        getOutputGrad().getType(), getStrides(), getPadding(),
                        getDilations(), static_cast<int64_t>(getGroups()));
}

LogicalResult Conv2DGradWeightOp::verify() {
  return verifyConvGrad(*this, getInput().getType(), getWeightGrad().getType(),
                        getOutputGrad().getType(), getStrides(), getPadding(),
                        getDilations(), static_cast<int64_t>(getGroups()));
}

LogicalResult ReduceSumOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  if (auto axes = getAxes()) {
    SmallVector<int64_t> kept;
    for (int64_t d = 0; d < in.getRank(); ++d)
      if (!llvm::is_contained(*axes, d))
        kept.push_back(in.getDimSize(d));
    for (int64_t a : *axes)
      if (a < 0 || a >= in.getRank())
        return emitOpError("axis ") << a << " is out of range for rank " << in.getRank();
    if (ArrayRef<int64_t>(kept) != out.getShape())
      return emitOpError("summing ") << in << " over the axes gives shape ["
                                     << kept << "], not " << out;
    return success();
  }
  // Without axes the result is a broadcast source of the input.
  SmallVector<int64_t> shape;
  if (out.getRank() > in.getRank() ||
      failed(broadcastShapes(in.getShape(), out.getShape(), shape)) ||
      ArrayRef<int64_t>(shape) != in.getShape())
    return emitOpError("result ") << out << " does not broadcast to the input " << in;
  return success();
}

LogicalResult BroadcastOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  SmallVector<int64_t> shape;
  if (in.getRank() > out.getRank() ||
      failed(broadcastShapes(in.getShape(), out.getShape(), shape)) ||
      ArrayRef<int64_t>(shape) != out.getShape())
    return emitOpError("cannot broadcast ") << in << " to " << out;
  return success();
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &results) {
  auto in = rankedType(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPermutation();
  SmallVector<bool> seen(in.getRank(), false);
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return emitOptionalError(loc, "transpose: permutation of ", perm.size(),
                             " entries for rank ", in.getRank());
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return emitOptionalError(loc, "transpose: invalid permutation");
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult SliceOp::verify() {
  auto in = getInput().getType(), out = getOutput().getType();
  if (in.getElementType() != out.getElementType())
    return emitOpError("element type changes from ")
           << in.getElementType() << " to " << out.getElementType();
  ArrayRef<int64_t> offsets = getOffsets();
  if (in.getRank() != out.getRank() ||
      static_cast<int64_t>(offsets.size()) != in.getRank())
    return emitOpError("offsets, input and result must have one rank");
  for (int64_t d = 0; d < in.getRank(); ++d)
    if (offsets[d] < 0 || offsets[d] + out.getDimSize(d) > in.getDimSize(d))
      return emitOpError("the box does not fit the input in dimension ") << d;
  return success();
}

LogicalResult MaxPool2DGradOp::verify() {
  SmallVector<Type> forward;
  auto input = getInput().getType();
  if (failed(inferWindowed(getLoc(), "max_pool2d_grad", input,
                           input.getRank() == 4 ? input.getDimSize(1) : 0,
                           getKernel(), getStrides(), getPadding(),
                           getDilations(), getCeilMode(), forward)))
    return failure();
  return expectType(*this, "output_grad", forward[0], getOutputGrad().getType());
}

LogicalResult AvgPool2DGradOp::verify() {
  SmallVector<Type> forward;
  auto input = getInputGrad().getType();
  SmallVector<int64_t> unit = {1, 1};
  if (failed(inferWindowed(getLoc(), "avg_pool2d_grad", input,
                           input.getRank() == 4 ? input.getDimSize(1) : 0,
                           getKernel(), getStrides(), getPadding(), unit,
                           getCeilMode(), forward)))
    return failure();
  return expectType(*this, "output_grad", forward[0], getOutputGrad().getType());
}

LogicalResult BatchNormGradOp::verify() {
  auto input = getInput().getType();
  if (input.getRank() < 2)
    return emitOpError("input must have rank 2 or more");
  if (getOutputGrad().getType() != input || getInputGrad().getType() != input)
    return emitOpError("input, output_grad and input_grad must have one type");
  if (getReluOutput() && getReluOutput().getType() != input)
    return emitOpError("relu_output must have the input's type");
  auto vec = RankedTensorType::get({input.getDimSize(1)}, input.getElementType());
  for (Value v : {getScale(), getRunningMean(), getRunningVar(),
                  getScaleGrad(), getBiasGrad()})
    if (v.getType() != vec)
      return emitOpError("per-channel operands and results must have type ") << vec;
  return success();
}

LogicalResult LayerNormGradOp::verify() {
  auto input = getInput().getType();
  auto axis = static_cast<int64_t>(getAxis());
  if (axis < 0 || axis >= input.getRank())
    return emitOpError("axis ") << axis << " is out of range for rank " << input.getRank();
  if (getOutputGrad().getType() != input || getInputGrad().getType() != input)
    return emitOpError("input, output_grad and input_grad must have one type");
  auto normalized =
      RankedTensorType::get(input.getShape().drop_front(axis), input.getElementType());
  if (getScale() && getScale().getType() != normalized)
    return emitOpError("scale must have type ") << normalized;
  if (static_cast<bool>(getScale()) != static_cast<bool>(getScaleGrad()))
    return emitOpError("a scale gradient is returned exactly when there is a scale");
  if (getHasBias() != static_cast<bool>(getBiasGrad()))
    return emitOpError("a bias gradient is returned exactly with has_bias");
  for (Value v : {getScaleGrad(), getBiasGrad()})
    if (v && v.getType() != normalized)
      return emitOpError("scale and bias gradients must have type ") << normalized;
  return success();
}

LogicalResult SoftmaxGradOp::verify() {
  int64_t rank = getOutput().getType().getRank();
  auto axis = static_cast<int64_t>(getAxis());
  if (axis < -rank || axis >= rank)
    return emitOpError("axis ") << axis << " is out of range for rank " << rank;
  return success();
}

LogicalResult MarginCrossEntropyGradOp::verify() {
  return checkScoresAndLabels(getLoc(), "margin_cross_entropy_grad", getScores(),
                              getLabels());
}

LogicalResult GoodnessGradOp::verify() {
  auto input = getInput().getType();
  if (getInputGrad().getType() != input)
    return emitOpError("input_grad must have the input's type");
  auto groups = static_cast<int64_t>(getGroups());
  if (input.getRank() < 2 || groups < 1 || input.getDimSize(1) % groups != 0)
    return emitOpError("groups must divide dimension 1 of the input");
  auto expected = RankedTensorType::get({input.getDimSize(0), groups},
                                        input.getElementType());
  return expectType(*this, "goodness_grad", expected, getGoodnessGrad().getType());
}

#define GET_OP_CLASSES
#include "dialects/FF/IR/FFOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Kernel groups
//===----------------------------------------------------------------------===//

namespace ffc {
namespace ff {

YieldOp FusedOp::getYield() { return cast<YieldOp>(getBodyBlock().getTerminator()); }

bool FusedOp::isFusible(Operation *op) {
  if (!isa<ReluOp, SigmoidOp, HardSwishOp, HardSigmoidOp, ClipOp, AddOp, SubOp, MulOp, DivOp,
           ReluGradOp, SigmoidGradOp, HardSwishGradOp, HardSigmoidGradOp, ClipGradOp>(op))
    return false;
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  return type && type.getRank() >= 1 && type.getElementType().isF32();
}

/// Whether `operand` broadcasts to `target` (NumPy rules, trailing dims aligned).
static bool broadcastsTo(ArrayRef<int64_t> operand, ArrayRef<int64_t> target) {
  if (operand.size() > target.size())
    return false;
  size_t offset = target.size() - operand.size();
  for (auto [i, d] : llvm::enumerate(operand))
    if (d != 1 && d != target[offset + i])
      return false;
  return true;
}

RankedTensorType FusedOp::getIterationType() {
  // The type of the first result not computed by a reduction, else the type
  // a reduction reads.
  Block &body = getBodyBlock();
  YieldOp yield = body.empty() ? YieldOp() : dyn_cast<YieldOp>(body.back());
  if (!yield)
    return nullptr;
  for (Value v : yield.getValues()) {
    Operation *def = v.getDefiningOp();
    bool reduction = def && def->getBlock() == &body && isFusibleReduction(def);
    if (!reduction)
      return dyn_cast<RankedTensorType>(v.getType());
  }
  for (Value v : yield.getValues())
    return dyn_cast<RankedTensorType>(v.getDefiningOp()->getOperand(0).getType());
  return nullptr;
}

bool FusedOp::isFusibleReduction(Operation *op) {
  if (!isa<GlobalAvgPoolOp, GoodnessOp, ReduceSumOp>(op))
    return false;
  auto in = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  auto out = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!in || !out || !in.getElementType().isF32() || !in.hasStaticShape() ||
      in.getRank() < 2)
    return false;
  if (auto goodness = dyn_cast<GoodnessOp>(op))
    if (goodness.getGroups() != 1 && goodness.getGroups() != in.getDimSize(1))
      return false; // a group of several channels splits dimension 1
  if (auto sum = dyn_cast<ReduceSumOp>(op))
    if (sum.getAxes() || out.getRank() != in.getRank())
      return false; // dropped dimensions (bias gradients) are not trailing reductions
  SmallVector<int64_t> reduced = reducedShape(op);
  if (reduced.size() != size_t(in.getRank()) || reduced[0] != in.getDimSize(0))
    return false;
  // Some dimension is reduced, and each one whole.
  bool any = false;
  for (auto [r, d] : llvm::zip(reduced, in.getShape())) {
    if (r != 1 && r != d)
      return false;
    any |= r == 1 && d != 1;
  }
  return any;
}

SmallVector<int64_t> FusedOp::reducedShape(Operation *op) {
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  SmallVector<int64_t> shape(in.getRank(), 1);
  shape[0] = in.getDimSize(0);
  if (auto goodness = dyn_cast<GoodnessOp>(op)) {
    shape[1] = goodness.getGroups();
    return shape;
  }
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  if (out.getRank() == in.getRank())
    return SmallVector<int64_t>(out.getShape());
  return {};
}

double FusedOp::reductionScale(Operation *op) {
  if (isa<ReduceSumOp>(op))
    return 1.0;
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  int64_t kept = 1;
  for (int64_t d : reducedShape(op))
    kept *= d;
  return double(kept) / double(in.getNumElements());
}

bool FusedOp::reductionSquares(Operation *op) { return isa<GoodnessOp>(op); }

LogicalResult FusedOp::verify() {
  Block &body = getBodyBlock();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("has ") << getInputs().size() << " inputs but its region takes "
                               << body.getNumArguments() << " arguments";
  if (getResults().empty())
    return emitOpError("has no results");
  auto yield = dyn_cast<YieldOp>(body.back());
  if (!yield)
    return emitOpError("region must end with ff.yield");
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yields ") << yield.getValues().getTypes()
                                  << " but the group's results are " << getResultTypes();
  RankedTensorType space = getIterationType();
  if (!space)
    return emitOpError("has no ranked iteration type");
  auto isReduction = [&](Value v) {
    Operation *def = v.getDefiningOp();
    return def && def->getBlock() == &body && isFusibleReduction(def);
  };
  for (Value v : yield.getValues())
    if (!isReduction(v) && v.getType() != space)
      return emitOpError("results must all have the iteration type ")
             << space << " or be reductions of it, got " << v.getType();
  for (auto [i, arg, in] : llvm::enumerate(body.getArguments(), getInputs())) {
    if (arg.getType() != in.getType())
      return emitOpError("region argument ") << i << " has type " << arg.getType()
                                             << " but input " << i << " has type "
                                             << in.getType();
    auto type = cast<RankedTensorType>(in.getType());
    if (!type.getElementType().isF32() || !broadcastsTo(type.getShape(), space.getShape()))
      return emitOpError("input ") << i << " of type " << type
                                   << " does not broadcast to the iteration type " << space;
  }
  for (Operation &op : body.without_terminator()) {
    if (isFusibleReduction(&op)) {
      if (op.getOperand(0).getType() != space)
        return op.emitOpError("reduces a value of type ")
               << op.getOperand(0).getType() << ", not of the group's iteration type "
               << space;
      for (Operation *user : op.getResult(0).getUsers())
        if (user != yield.getOperation())
          return op.emitOpError("result is read inside the group; a reduction's result "
                                "is complete only when the whole kernel has run");
      continue;
    }
    if (!isFusible(&op))
      return op.emitOpError("cannot be part of an ff.fused kernel group");
    if (op.getResult(0).getType() != space)
      return op.emitOpError("result type ")
             << op.getResult(0).getType() << " differs from the group's iteration type "
             << space;
  }
  return success();
}

} // namespace ff
} // namespace ffc
