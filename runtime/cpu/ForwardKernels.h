//===- ForwardKernels.h - CPU reference kernels: forward, losses, optimizers -===//
//
// Plain C++17 kernels for the ff dialect's forward ops, local losses, votes,
// metrics, random draws and optimizer updates (dialects/FF/IR/FFOps.td and
// FFTrainingOps.td are the spec). Conventions:
//  - namespace ffrt::cpu; function templates on the element type T, explicitly
//    instantiated for float and double;
//  - every array is contiguous row-major, its shape passed as `const Shape &`;
//  - outputs are preallocated by the caller and every element is written;
//  - optional operands are nullptr;
//  - no exceptions: kernels that can meet bad data (labels) return false.
// Reductions accumulate in double whatever T is.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_CPU_FORWARDKERNELS_H
#define FFRT_CPU_FORWARDKERNELS_H

#include "runtime/cpu/Shape.h"

#include <cstdint>
#include <vector>

namespace ffrt {
namespace cpu {

namespace forward_detail {
template <typename T> struct Identity {
  using type = T;
};
} // namespace forward_detail

/// Pointer parameters that take no part in deducing T, so that an absent
/// optional operand can be passed as a plain nullptr.
template <typename T>
using OptIn = const typename forward_detail::Identity<T>::type *;
template <typename T>
using OptOut = typename forward_detail::Identity<T>::type *;

//===----------------------------------------------------------------------===//
// Random numbers
//===----------------------------------------------------------------------===//

/// The runtime's generator: xoshiro256** (Blackman & Vigna), its 256-bit state
/// seeded by four splitmix64 outputs of `seed`. The caller owns the state (it
/// is plain data: save and restore `s` to checkpoint a run).
struct Rng {
  uint64_t s[4];
  explicit Rng(uint64_t seed);
  /// The next 64 random bits (advances the state).
  uint64_t next();
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform();
  /// Uniform integer in [0, bound) without modulo bias; bound >= 1.
  uint64_t below(uint64_t bound);
};

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

/// Output extent of a pooling/convolution window along one dimension, as
/// PyTorch and ONNX define it (with ceil_mode the last window must start
/// inside the input or the leading padding).
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t padBefore, int64_t padAfter, int64_t dilation,
                         bool ceilMode);

/// NumPy broadcast of two shapes; false when they do not broadcast.
bool broadcastShapes(const Shape &a, const Shape &b, Shape &out);

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

/// ff.conv2d: x N x C x H x W, w O x C/groups x KH x KW (KH, KW are taken from
/// wShape, not from win), optional bias[O], y N x O x OH x OW (OH, OW from yShape).
template <typename T>
void conv2d(const T *x, const Shape &xShape, const T *w, const Shape &wShape,
            OptIn<T> bias, const Window2D &win, int64_t groups, T *y,
            const Shape &yShape, bool relu = false);

/// ff.linear: y[n, o] = bias[o] + sum_i x[n, i] w[o, i]; x N x in, w out x in.
template <typename T>
void linear(const T *x, const Shape &xShape, const T *w, const Shape &wShape,
            OptIn<T> bias, T *y, const Shape &yShape, bool relu = false);

/// ff.matmul: y[..., m, n] = sum_k a[..., m, k] b[..., k, n]; rank >= 2, batch
/// dimensions broadcast like NumPy.
template <typename T>
void matmul(const T *a, const Shape &aShape, const T *b, const Shape &bShape,
            T *y, const Shape &yShape);

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

/// ff.batch_norm without `training`: per channel (dim 1) with running stats;
/// with `relu`, max(y, 0) (the op's fused epilogue).
template <typename T>
void batchNormInference(const T *x, const Shape &xShape, const T *scale,
                        const T *bias, const T *mean, const T *var,
                        double epsilon, T *y, bool relu = false);

/// ff.batch_norm with `training`: biased batch statistics over every dim but 1;
/// optionally returns them in batchMean/batchVar (C each, nullptr to skip).
template <typename T>
void batchNormTraining(const T *x, const Shape &xShape, const T *scale,
                       const T *bias, double epsilon, T *y,
                       OptOut<T> batchMean = nullptr,
                       OptOut<T> batchVar = nullptr, bool relu = false);

/// Per-channel (dim 1) mean and variance over every other dim; the variance is
/// unbiased (divides by count - 1; 0 when count is 1) when `unbiased` is set.
template <typename T>
void batchStatistics(const T *x, const Shape &xShape, bool unbiased, T *mean,
                     T *var);

/// ff.batch_norm_stats_update: new = momentum * running + (1 - momentum) *
/// batch stat (unbiased variance); outputs may alias the running inputs.
template <typename T>
void batchNormStatsUpdate(const T *x, const Shape &xShape, const T *runningMean,
                          const T *runningVar, double momentum, T *newMean,
                          T *newVar);

/// ff.batch_norm_with_update: batchNormTraining and batchNormStatsUpdate of
/// the same x with the batch statistics computed once.
template <typename T>
void batchNormTrainingWithUpdate(const T *x, const Shape &xShape, const T *scale,
                                 const T *bias, const T *runningMean,
                                 const T *runningVar, double epsilon, double momentum,
                                 T *y, T *newMean, T *newVar, bool relu = false);

/// ff.layer_norm over dims [axis, rank) (negative axis counts from the end);
/// optional scale/bias of shape xShape[axis:].
template <typename T>
void layerNorm(const T *x, const Shape &xShape, OptIn<T> scale, OptIn<T> bias,
               int64_t axis, double epsilon, T *y);

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

enum class UnaryKind { Relu, Sigmoid, HardSwish };
/// ff.relu / ff.sigmoid / ff.hardswish over n elements (y may alias x).
template <typename T> void unary(UnaryKind kind, const T *x, T *y, int64_t n);

/// ff.hardsigmoid: max(0, min(1, alpha x + beta)).
template <typename T>
void hardsigmoid(const T *x, T *y, int64_t n, double alpha, double beta);

/// ff.clip: min(max(x, lo), hi).
template <typename T> void clip(const T *x, T *y, int64_t n, double lo, double hi);

enum class BinaryKind { Add, Sub, Mul, Div };
/// ff.add/sub/mul/div with NumPy broadcasting; yShape is the broadcast shape.
/// y may alias a or b when that operand has yShape's element count.
template <typename T>
void binary(BinaryKind kind, const T *a, const Shape &aShape, const T *b,
            const Shape &bShape, T *y, const Shape &yShape);

/// ff.softmax along `axis` (negative counts from the end); max-subtracted.
template <typename T>
void softmax(const T *x, const Shape &xShape, int64_t axis, T *y);

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

/// ff.max_pool2d over NCHW; padded positions never win (a window with no input
/// element gives -inf). OH, OW come from yShape (ceil_mode is in that shape).
template <typename T>
void maxPool2d(const T *x, const Shape &xShape, const Window2D &win, T *y,
               const Shape &yShape);

/// ff.avg_pool2d over NCHW. Divisor: with countIncludePad the window's
/// positions inside the padded input (the full window, except ceil_mode's
/// overhanging windows: PyTorch's rule), otherwise its unpadded input elements.
template <typename T>
void avgPool2d(const T *x, const Shape &xShape, const Window2D &win,
               bool countIncludePad, T *y, const Shape &yShape);

/// ff.global_avg_pool: N x C x H x W -> N x C (x 1 x 1) spatial means.
template <typename T>
void globalAvgPool(const T *x, const Shape &xShape, T *y);

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

/// ff.concat of inputs[i] (shape shapes[i]) along axis (negative from the end).
template <typename T>
void concat(const std::vector<const T *> &inputs,
            const std::vector<Shape> &shapes, int64_t axis, T *y,
            const Shape &yShape);

/// ff.slice: y = x[offsets[d] : offsets[d] + yShape[d], ...] (unit strides).
template <typename T>
void slice(const T *x, const Shape &xShape, const std::vector<int64_t> &offsets,
           T *y, const Shape &yShape);

/// ff.transpose: yShape[i] = xShape[perm[i]].
template <typename T>
void transpose(const T *x, const Shape &xShape, const std::vector<int64_t> &perm,
               T *y);

/// ff.broadcast: x broadcast NumPy-style to yShape.
template <typename T>
void broadcastTo(const T *x, const Shape &xShape, T *y, const Shape &yShape);

/// ff.reduce_sum. With `axes` (nullptr: none) those dims are summed and
/// dropped, or kept as size 1 when yShape has x's rank. Without, yShape is
/// x's shape with summed dims of size 1, or a right-aligned broadcast source
/// of it (fewer dims). Returns false when the shapes do not match either form.
template <typename T>
bool reduceSum(const T *x, const Shape &xShape, const std::vector<int64_t> *axes,
               T *y, const Shape &yShape);

//===----------------------------------------------------------------------===//
// Local losses, votes, metrics
//===----------------------------------------------------------------------===//

/// ff.goodness: x N x C x ..., groups K | C -> y N x K, mean of squares over
/// each group's channels and all trailing dims.
template <typename T>
void goodness(const T *x, const Shape &xShape, int64_t groups, T *y);

/// ff.margin_cross_entropy: scores N x K, labels[N] -> *loss = mean_n of
/// logsumexp(scores[n] + margin (1 - onehot)) - scores[n, label]. Returns false
/// (loss untouched) when a label is outside [0, K).
template <typename T>
bool marginCrossEntropy(const T *scores, const int32_t *labels, int64_t n,
                        int64_t k, double margin, T *loss);

/// ff.threshold_loss: *loss = mean_i softplus(theta - pos[i]) +
/// softplus(neg[i] - theta) over n elements (stable softplus).
template <typename T>
void thresholdLoss(const T *pos, const T *neg, int64_t n, double theta, T *loss);

/// ff.vote: y N x K = mean of the score matrices (only the last with `last`),
/// each softmaxed over K first with `softmax`.
template <typename T>
void vote(const std::vector<const T *> &scores, int64_t n, int64_t k, bool last,
          bool softmax, T *y);

/// ff.count_correct: samples whose argmax (first max on ties) equals the label
/// (a label outside [0, K) never counts).
template <typename T>
int64_t countCorrect(const T *scores, const int32_t *labels, int64_t n,
                     int64_t k);

/// ff.embed_label: y = x, then the first `classes` elements of each flattened
/// sample (x is N x ...) = onehot((label + shift) mod classes) * scale; shift
/// may be nullptr; y may alias x. False when a label is outside [0, classes)
/// or a sample has fewer than `classes` elements.
template <typename T>
bool embedLabel(const T *x, const Shape &xShape, const int32_t *labels,
                const int32_t *shift, int64_t classes, double scale, T *y);

/// ff.embed_all_labels: y ((classes * N) x ...) holds, at sample k * N + n,
/// sample n of x (N x ...) with its first `classes` elements = onehot(k) *
/// scale. False when a sample has fewer than `classes` elements.
template <typename T>
bool embedAllLabels(const T *x, const Shape &xShape, int64_t classes, double scale, T *y);

/// ff.random_label_shift: n uniform integers in [1, classes) from rng; false
/// (nothing drawn) when classes < 2.
bool randomLabelShift(int32_t *shift, int64_t n, int64_t classes, Rng &rng);

/// ff.dropout_mask: mask[i] = 0 with probability ratio (uniform() < ratio),
/// else 1 / (1 - ratio); ratio in [0, 1]; one uniform draw per element.
template <typename T>
void dropoutMask(T *mask, int64_t n, double ratio, Rng &rng);

//===----------------------------------------------------------------------===//
// Optimizer updates (outputs may alias the matching inputs)
//===----------------------------------------------------------------------===//

/// ff.sgd_step (PyTorch SGD, dampening 0): g = grad + wd param; with buffer
/// (momentum != 0): buf' = momentum buf + g, dir = nesterov ? g + momentum buf'
/// : buf'; param' = param - lr dir. The buffer path runs iff newBuffer is set
/// (buffer nullptr then reads as zeros: PyTorch's first step); without
/// momentum pass nullptr for both.
template <typename T>
void sgdStep(const T *param, const T *grad, OptIn<T> buffer, int64_t n,
             double lr, double momentum, bool nesterov, double weightDecay,
             T *newParam, OptOut<T> newBuffer);

/// ff.adam_step (torch.optim.Adam, or AdamW with `decoupled`); step t counts
/// this update from 1.
template <typename T>
void adamStep(const T *param, const T *grad, const T *moment1, const T *moment2,
              int64_t n, double lr, double step, double beta1, double beta2,
              double epsilon, double weightDecay, bool decoupled, T *newParam,
              T *newMoment1, T *newMoment2);

} // namespace cpu
} // namespace ffrt

#endif // FFRT_CPU_FORWARDKERNELS_H
