//===- Shape.h - tensor shapes for the runtime's CPU kernels ----*- C++ -*-===//
//
// The kernels work on contiguous row-major arrays described by a Shape. No
// LLVM or MLIR here: the runtime builds and ships on its own.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_CPU_SHAPE_H
#define FFRT_CPU_SHAPE_H

#include <cstdint>
#include <functional>
#include <numeric>
#include <vector>

namespace ffrt {

using Shape = std::vector<int64_t>;

inline int64_t numElements(const Shape &shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1},
                         std::multiplies<int64_t>());
}

/// Row-major strides of a shape.
inline std::vector<int64_t> stridesOf(const Shape &shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Attributes of 2-D windowed ops, as the ff dialect defines them:
/// padding is [top, left, bottom, right].
struct Window2D {
  int64_t kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t padTop = 0, padLeft = 0, padBottom = 0, padRight = 0;
  int64_t dilationH = 1, dilationW = 1;
};

} // namespace ffrt

#endif
