//===- GradientKernels.h - CPU reference kernels for ff gradient ops -*- C++ -*-===//
//
// The gradient ops of the ff dialect (dialects/FF/IR/FFTrainingOps.td,
// "Gradient ops") as plain C++ over contiguous row-major arrays. Conventions:
//  - T is float or double (explicitly instantiated in the .cpp);
//  - shapes are passed explicitly; NCHW for the windowed ops, OIHW weights;
//  - outputs are preallocated by the caller and every element is overwritten
//    (never accumulated into); an optional output or operand may be nullptr;
//  - reductions accumulate in double whatever T is.
// No LLVM or MLIR here; matrix products go through OpenBLAS (cblas).
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_CPU_GRADIENTKERNELS_H
#define FFRT_CPU_GRADIENTKERNELS_H

#include "runtime/cpu/Shape.h"

#include <cstdint>

namespace ffrt::cpu {

/// Keeps T out of deduction for optional (nullable) pointer arguments, so
/// that a plain nullptr can be passed: T comes from the required operands.
template <typename T> struct NoDeduceT {
  using type = T;
};
template <typename T> using NoDeduce = typename NoDeduceT<T>::type;

//===--- Convolution ------------------------------------------------------===//

/// conv2d_grad_input: dx (N x C x H x W) = transposed conv of dy (N x O x OH x OW) with w (O x C/groups x KH x KW).
template <typename T>
void conv2dGradInput(const T *dy, const Shape &dyShape, const T *w,
                     const Shape &wShape, const Window2D &win, int64_t groups,
                     T *dx, const Shape &dxShape);

/// conv2d_grad_weight: dw[o,c,i,j] = sum_{n,y,x} dy[n,o,y,x] * x[n, g*C/G+c, y*sy-pt+i*dh, x*sx-pl+j*dw].
template <typename T>
void conv2dGradWeight(const T *x, const Shape &xShape, const T *dy,
                      const Shape &dyShape, const Window2D &win, int64_t groups,
                      T *dw, const Shape &dwShape);

//===--- Elementwise (x, dy, dx all of `shape`) ---------------------------===//

/// relu_grad: dx = dy where x > 0, else 0 (relu'(0) = 0).
template <typename T>
void reluGrad(const T *x, const T *dy, const Shape &shape, T *dx);

/// sigmoid_grad: dx = dy * s * (1 - s), s = sigmoid(x).
template <typename T>
void sigmoidGrad(const T *x, const T *dy, const Shape &shape, T *dx);

/// hardswish_grad (PyTorch): dx = 0 for x < -3, dy * (2x + 3) / 6 for -3 <= x <= 3, dy for x > 3.
template <typename T>
void hardSwishGrad(const T *x, const T *dy, const Shape &shape, T *dx);

/// hardsigmoid_grad: dx = dy * alpha where 0 < alpha*x + beta < 1 (strictly), else 0.
template <typename T>
void hardSigmoidGrad(const T *x, const T *dy, const Shape &shape, double alpha,
                     double beta, T *dx);

/// clip_grad: dx = dy where min < x < max (strictly), else 0: at x == min or x == max the gradient is 0 (as relu'(0) = 0 for clip(0, 6)).
template <typename T>
void clipGrad(const T *x, const T *dy, const Shape &shape, double min,
              double max, T *dx);

/// softmax_grad from the softmax output y: dx = y * (dy - sum_axis(dy * y)); a negative axis counts from the end.
template <typename T>
void softmaxGrad(const T *y, const T *dy, const Shape &shape, int64_t axis,
                 T *dx);

//===--- Pooling (NCHW) ---------------------------------------------------===//

/// max_pool2d_grad: each dy goes to the first maximum (row-major window order) of its window in x; padding never wins. ceilMode only cross-checks dyShape (asserts).
template <typename T>
void maxPool2dGrad(const T *x, const Shape &xShape, const T *dy,
                   const Shape &dyShape, const Window2D &win, bool ceilMode,
                   T *dx);

/// avg_pool2d_grad: spreads dy/divisor over each window (win's dilations must be 1). Divisor as PyTorch: count_include_pad -> window clipped to the padded input [-pt, H+pb) x [-pl, W+pr) (kh*kw except ceil-mode overhang), else the unpadded elements.
template <typename T>
void avgPool2dGrad(const T *dy, const Shape &dyShape, const Window2D &win,
                   bool ceilMode, bool countIncludePad, T *dx,
                   const Shape &dxShape);

//===--- Normalisation ----------------------------------------------------===//

/// batch_norm_grad over x (N x C x ...), per channel: training uses batch (biased) statistics with the full formula, else runningMean/runningVar (may be nullptr in training); dx, dscale, dbias (C) nullable.
/// With reluOutput (x's shape), dy is first masked to where reluOutput > 0: the
/// gradient through a relu fused in front (ff-fuse), without writing it out.
template <typename T>
void batchNormGrad(const T *x, const Shape &xShape, const T *dy, const T *scale,
                   const NoDeduce<T> *runningMean,
                   const NoDeduce<T> *runningVar, double epsilon, bool training,
                   NoDeduce<T> *dx, NoDeduce<T> *dscale, NoDeduce<T> *dbias,
                   const NoDeduce<T> *reluOutput = nullptr);

/// layer_norm_grad over dims [axis, rank) (negative axis counts from the end); scale (shape[axis:]) nullable = no scale; dx, dscale, dbias nullable.
template <typename T>
void layerNormGrad(const T *x, const Shape &xShape, const T *dy,
                   const NoDeduce<T> *scale, int64_t axis, double epsilon,
                   NoDeduce<T> *dx, NoDeduce<T> *dscale, NoDeduce<T> *dbias);

//===--- Local losses -----------------------------------------------------===//

/// goodness_grad: dx[n,c,...] = dg[n, k(c)] * 2 * x[n,c,...] / (C/groups * spatial), x is N x C x ..., dg is N x groups.
template <typename T>
void goodnessGrad(const T *x, const Shape &xShape, const T *dg, int64_t groups,
                  T *dx);

/// margin_cross_entropy_grad: ds = (softmax(s + margin*(1-onehot)) - onehot) / N for scores N x K; returns false (ds untouched) on a label outside [0, K).
template <typename T>
bool marginCrossEntropyGrad(const T *scores, const Shape &scoresShape,
                            const int32_t *labels, double margin, T *dscores);

/// threshold_loss_grad: dpos = -sigmoid(theta - pos)/N, dneg = sigmoid(neg - theta)/N, N = numElements(shape); dpos, dneg nullable.
template <typename T>
void thresholdLossGrad(const T *pos, const T *neg, const Shape &shape,
                       double theta, NoDeduce<T> *dpos, NoDeduce<T> *dneg);

} // namespace ffrt::cpu

#endif // FFRT_CPU_GRADIENTKERNELS_H
