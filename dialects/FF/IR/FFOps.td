//===- FFOps.td - the ff dialect's graph operations --------*- tablegen -*-===//

#ifndef FF_OPS_TD
#define FF_OPS_TD

include "dialects/FF/IR/FFDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Parameters and constants
//===----------------------------------------------------------------------===//

def FF_ParamOp : FF_Op<"param", [Symbol]> {
  let summary = "a model parameter or state tensor with its initial value";
  let description = [{
    Declares a named tensor that lives across steps: a trainable parameter, or
    with `buffer`, state that the optimizer does not train (batch-norm running
    statistics). The name is the one the model file gives (for ONNX, the
    initializer name, which for PyTorch exports is the `state_dict` key). The
    initial value is usually a `dense_resource` blob so that large models print
    readably.

    Example:
    ```mlir
    ff.param @conv1.weight = dense<0.5> : tensor<8x1x3x3xf32>
    ff.param @bn1.running_mean buffer = dense<0.0> : tensor<8xf32>
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, ElementsAttr:$initial_value,
                       UnitAttr:$buffer);
  let assemblyFormat = "$sym_name (`buffer` $buffer^)? `=` $initial_value attr-dict";
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getInitialValue().getType());
    }
  }];
  let hasVerifier = 1;
}

def FF_ParamRefOp : FF_Op<"param_ref",
    [Pure, DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "reads the current value of an `ff.param`";
  let description = [{
    Yields the current value of the parameter named by `name`. The result type
    must equal the parameter's type.

    Example:
    ```mlir
    %w = ff.param_ref @conv1.weight : tensor<8x1x3x3xf32>
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs FF_Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
}

def FF_ConstantOp : FF_Op<"constant",
    [ConstantLike, Pure, AllTypesMatch<["value", "result"]>]> {
  let summary = "a constant tensor";
  let description = [{
    A constant tensor that is not a parameter (for example a scale factor that a
    model file stores as a `Constant` node).

    Example:
    ```mlir
    %c = ff.constant dense<2.0> : tensor<1xf32>
    ```
  }];
  let arguments = (ins ElementsAttr:$value);
  let results = (outs FF_Tensor:$result);
  let assemblyFormat = "$value attr-dict";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

def FF_Conv2DOp : FF_Op<"conv2d", [Pure, InferTypeOpAdaptor]> {
  let summary = "2-D convolution (NCHW input, OIHW weight), optional bias";
  let description = [{
    `output[n, o, y, x] = bias[o] + sum_{c, i, j} input[n, g*C/G + c,
    y*sy - pt + i*dy, x*sx - pl + j*dx] * weight[o, c, i, j]` where `g` is the
    group of output channel `o`. `padding` is `[top, left, bottom, right]`
    (zeros); `groups` divides both channel counts (`groups` = channels is a
    depthwise convolution). The weight is `O x C/groups x KH x KW`.

    With `relu`, the output is `max(output, 0)`: the epilogue `ff-fuse` folds
    in from a following `ff.relu`, after autodiff (no gradient rule reads it).

    Example:
    ```mlir
    %y = ff.conv2d %x, %w, %b {strides = array<i64: 2, 2>,
                               padding = array<i64: 1, 1, 1, 1>}
        : (tensor<1x3x32x32xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>)
        -> tensor<1x16x16x16xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$weight,
                       Optional<FF_Tensor>:$bias,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$groups, UnitAttr:$relu);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def FF_LinearOp : FF_Op<"linear", [Pure, InferTypeOpAdaptor]> {
  let summary = "fully connected layer: input x weight^T + bias";
  let description = [{
    `output[n, o] = bias[o] + sum_i input[n, i] * weight[o, i]`: PyTorch's
    `nn.Linear` and ONNX `Gemm` with `transB = 1`. The weight is `out x in`.
    With `relu` (an `ff-fuse` epilogue, as for `ff.conv2d`), `max(output, 0)`.

    Example:
    ```mlir
    %y = ff.linear %x, %w, %b : (tensor<4x512xf32>, tensor<10x512xf32>, tensor<10xf32>)
        -> tensor<4x10xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$weight,
                       Optional<FF_Tensor>:$bias, UnitAttr:$relu);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def FF_MatMulOp : FF_Op<"matmul", [Pure, InferTypeOpAdaptor]> {
  let summary = "batched matrix product with broadcasting batch dimensions";
  let description = [{
    `output[..., m, n] = sum_k lhs[..., m, k] * rhs[..., k, n]`. Both operands
    have rank 2 or more; the leading (batch) dimensions broadcast like NumPy.

    Example:
    ```mlir
    %y = ff.matmul %a, %b : (tensor<2x3x4xf32>, tensor<4x5xf32>) -> tensor<2x3x5xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$lhs, FF_Tensor:$rhs);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

def FF_BatchNormOp : FF_Op<"batch_norm", [Pure, InferTypeOpAdaptor]> {
  let summary = "batch normalisation over (N, H, W) per channel";
  let description = [{
    `output = scale * (input - mean) / sqrt(var + epsilon) + bias` per channel
    (dimension 1). Without `training`, `mean` and `var` are the running
    statistics operands (inference semantics). With `training`, they are the
    biased statistics of the current batch over every dimension but 1, and the
    running statistics advance as
    `running = momentum * running + (1 - momentum) * batch_statistic`
    (ONNX's convention: PyTorch's momentum 0.1 is 0.9 here; the running
    variance uses the unbiased batch variance).

    With `relu`, the output is `max(output, 0)`: the epilogue `ff-fuse` folds
    in from a following `ff.relu`, after autodiff (no gradient rule reads it).

    Example:
    ```mlir
    %y = ff.batch_norm %x, %scale, %bias, %mean, %var {epsilon = 1.0e-05 : f64, training}
        : (tensor<8x16x4x4xf32>, tensor<16xf32>, tensor<16xf32>, tensor<16xf32>,
           tensor<16xf32>) -> tensor<8x16x4x4xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, FF_Tensor:$scale, FF_Tensor:$bias,
                       FF_Tensor:$running_mean, FF_Tensor:$running_var,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<F64Attr, "0.9">:$momentum,
                       UnitAttr:$training, UnitAttr:$relu);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def FF_LayerNormOp : FF_Op<"layer_norm", [Pure, InferTypeOpAdaptor,
                                          AttrSizedOperandSegments]> {
  let summary = "layer normalisation over the dimensions from `axis` on";
  let description = [{
    Normalises each slice `input[d0, ..., d(axis-1), :, ..., :]` to zero mean
    and unit (biased) variance, `eps` inside the square root, then applies the
    optional elementwise `scale` and `bias`, whose shape is
    `input.shape[axis:]`. SFF's normalisation between blocks is this op with
    `axis = 1` and no affine parameters.

    Example:
    ```mlir
    %y = ff.layer_norm %x {axis = 1 : i64} : (tensor<8x16x4x4xf32>) -> tensor<8x16x4x4xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, Optional<FF_Tensor>:$scale,
                       Optional<FF_Tensor>:$bias,
                       DefaultValuedAttr<I64Attr, "1">:$axis,
                       DefaultValuedAttr<F64Attr, "1.0e-5">:$epsilon);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = [{
    $input (`scale` $scale^)? (`bias` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class FF_UnaryOp<string mnemonic, string formula, string example>
    : FF_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = formula;
  let description = "Applies `" # formula # "` elementwise.\n\nExample:\n```mlir\n"
                    # example # "\n```";
  let arguments = (ins FF_Tensor:$input);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def FF_ReluOp : FF_UnaryOp<"relu", "max(x, 0)",
    "%y = ff.relu %x : tensor<2x8xf32>">;
def FF_SigmoidOp : FF_UnaryOp<"sigmoid", "1 / (1 + exp(-x))",
    "%y = ff.sigmoid %x : tensor<2x8xf32>">;
def FF_HardSwishOp : FF_UnaryOp<"hardswish", "x * min(max(x + 3, 0), 6) / 6",
    "%y = ff.hardswish %x : tensor<2x8xf32>">;

def FF_HardSigmoidOp : FF_Op<"hardsigmoid", [Pure, SameOperandsAndResultType]> {
  let summary = "max(0, min(1, alpha * x + beta))";
  let description = [{
    Applies `max(0, min(1, alpha * x + beta))` elementwise. ONNX's defaults are
    `alpha = 0.2`, `beta = 0.5`; PyTorch's `nn.Hardsigmoid` is `alpha = 1/6`.

    Example:
    ```mlir
    %y = ff.hardsigmoid %x {alpha = 0.16666666666666666 : f64} : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input,
                       DefaultValuedAttr<F64Attr, "0.2">:$alpha,
                       DefaultValuedAttr<F64Attr, "0.5">:$beta);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def FF_ClipOp : FF_Op<"clip", [Pure, SameOperandsAndResultType]> {
  let summary = "min(max(x, min), max); ReLU6 is clip(0, 6)";
  let description = [{
    Clamps every element to `[min, max]`.

    Example:
    ```mlir
    %y = ff.clip %x {min = 0.0 : f64, max = 6.0 : f64} : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, F64Attr:$min, F64Attr:$max);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

class FF_BinaryOp<string mnemonic, string formula>
    : FF_Op<mnemonic, [Pure, InferTypeOpAdaptor]> {
  let summary = "elementwise " # formula # " with NumPy broadcasting";
  let description = "Computes `lhs " # formula # " rhs` elementwise. The shapes "
    # "broadcast like NumPy: aligned from the right, each dimension equal or 1 "
    # "(for example the `N x C x 1 x 1` scale of a squeeze-and-excitation block "
    # "against an `N x C x H x W` feature map).\n\nExample:\n```mlir\n%y = ff."
    # mnemonic # " %a, %b : (tensor<2x8x4x4xf32>, tensor<2x8x1x1xf32>) -> "
    # "tensor<2x8x4x4xf32>\n```";
  let arguments = (ins FF_Tensor:$lhs, FF_Tensor:$rhs);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "operands attr-dict `:` functional-type(operands, results)";
}

def FF_AddOp : FF_BinaryOp<"add", "+">;
def FF_SubOp : FF_BinaryOp<"sub", "-">;
def FF_MulOp : FF_BinaryOp<"mul", "*">;
def FF_DivOp : FF_BinaryOp<"div", "/">;

def FF_DropoutOp : FF_Op<"dropout", [Pure, SameOperandsAndResultType]> {
  let summary = "dropout: zeroes elements with probability `ratio` in training";
  let description = [{
    In a training step every element is zeroed with probability `ratio` and
    the rest are scaled by `1 / (1 - ratio)`; in evaluation and prediction it
    is the identity. (It is marked pure: the training passes rewrite it into
    an explicit `ff.dropout_mask` draw before anything runs it.)

    Example:
    ```mlir
    %y = ff.dropout %x {ratio = 2.0e-01 : f64} : tensor<2x8xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, DefaultValuedAttr<F64Attr, "0.5">:$ratio);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def FF_SoftmaxOp : FF_Op<"softmax", [Pure, SameOperandsAndResultType]> {
  let summary = "softmax along one axis";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis` (negative counts from the
    end).

    Example:
    ```mlir
    %y = ff.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def FF_MaxPool2DOp : FF_Op<"max_pool2d", [Pure, InferTypeOpAdaptor]> {
  let summary = "2-D max pooling over NCHW";
  let description = [{
    Maximum over each `kernel` window; `padding` is `[top, left, bottom,
    right]` (padded elements never win), `ceil_mode` rounds the output size
    up as PyTorch and ONNX define it.

    Example:
    ```mlir
    %y = ff.max_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
        : (tensor<1x8x28x28xf32>) -> tensor<1x8x14x14xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$dilations,
                       UnitAttr:$ceil_mode);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def FF_AvgPool2DOp : FF_Op<"avg_pool2d", [Pure, InferTypeOpAdaptor]> {
  let summary = "2-D average pooling over NCHW";
  let description = [{
    Mean over each `kernel` window. With `count_include_pad` the divisor is the
    full window size, otherwise the number of unpadded elements.

    Example:
    ```mlir
    %y = ff.avg_pool2d %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>}
        : (tensor<1x8x28x28xf32>) -> tensor<1x8x14x14xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, DenseI64ArrayAttr:$kernel,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{1, 1}">:$strides,
                       DefaultValuedAttr<DenseI64ArrayAttr, "{0, 0, 0, 0}">:$padding,
                       UnitAttr:$ceil_mode, UnitAttr:$count_include_pad);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def FF_GlobalAvgPoolOp : FF_Op<"global_avg_pool", [Pure, InferTypeOpAdaptor]> {
  let summary = "mean over all spatial positions: N x C x H x W -> N x C x 1 x 1";
  let description = [{
    Example:
    ```mlir
    %y = ff.global_avg_pool %x : (tensor<2x8x7x7xf32>) -> tensor<2x8x1x1xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Shape
//===----------------------------------------------------------------------===//

def FF_FlattenOp : FF_Op<"flatten", [Pure, InferTypeOpAdaptor]> {
  let summary = "collapses the dimensions before and from `axis` into a matrix";
  let description = [{
    ONNX `Flatten`: the result is `prod(shape[:axis]) x prod(shape[axis:])`.

    Example:
    ```mlir
    %y = ff.flatten %x {axis = 1 : i64} : (tensor<2x8x7x7xf32>) -> tensor<2x392xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input, DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def FF_ReshapeOp : FF_Op<"reshape", [Pure]> {
  let summary = "reinterprets a tensor with another static shape";
  let description = [{
    Row-major reshape; the element counts must be equal. The frontend resolves
    ONNX's `-1` and `0` entries into the static result type.

    Example:
    ```mlir
    %y = ff.reshape %x : (tensor<2x8x1x1xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins FF_Tensor:$input);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def FF_ConcatOp : FF_Op<"concat", [Pure, InferTypeOpAdaptor]> {
  let summary = "concatenates tensors along one axis";
  let description = [{
    Every operand has the same rank and the same sizes except along `axis`.

    Example:
    ```mlir
    %y = ff.concat %a, %b {axis = 1 : i64}
        : (tensor<1x8x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x12x4x4xf32>
    ```
  }];
  let arguments = (ins Variadic<FF_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs FF_Tensor:$output);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
}

include "dialects/FF/IR/FFTrainingOps.td"
include "dialects/FF/IR/FFKernelOps.td"

#endif // FF_OPS_TD
