//===- Dataset.h - image classification datasets for ff-run -----*- C++ -*-===//
//
// Readers for the standard file formats (gzipped IDX for the MNIST family,
// the CIFAR-10/100 binary format), normalisation, and a seeded shuffling
// batcher that prepares the next batch on a background thread.
//
//===----------------------------------------------------------------------===//
#ifndef FFRT_DATA_DATASET_H
#define FFRT_DATA_DATASET_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ffrt {

struct Dataset {
  std::string name;
  int64_t channels = 0, height = 0, width = 0;
  int64_t classes = 0;
  std::vector<uint8_t> pixels; // count x C x H x W, raw bytes
  std::vector<int32_t> labels;
  std::vector<float> mean, std; // per channel, on [0, 1] pixels
  int64_t count() const { return static_cast<int64_t>(labels.size()); }
  int64_t sampleSize() const { return channels * height * width; }
};

/// Reads an IDX image file and its label file (gzipped or not). Errors name
/// the file and the problem (missing, bad magic number, truncated, sizes that
/// disagree).
bool loadIdx(const std::string &imagesPath, const std::string &labelsPath,
             Dataset &out, std::string &error);

/// Reads CIFAR-10 (`cifar10`) or CIFAR-100 (`cifar100`, fine labels) binary
/// batches from `dir`.
bool loadCifar(const std::string &dir, bool cifar100, bool train, Dataset &out,
               std::string &error);

/// `spec` is fashion-mnist (the Debian package's files), mnist:DIR,
/// fashion-mnist:DIR, cifar10:DIR or cifar100:DIR.
bool loadDataset(const std::string &spec, bool train, Dataset &out,
                 std::string &error);

/// Keeps only the first `n` samples (n <= 0: all).
void takeSubset(Dataset &data, int64_t n);

/// Yields normalised batches of a fixed size in a seeded random order (or in
/// order), preparing batch i+1 on a background thread while the caller trains
/// on batch i.
class Batcher {
public:
  /// With `dropLast`, a final partial batch is skipped (training); without,
  /// it is padded with zero images and label -1, which no metric counts.
  Batcher(const Dataset &data, int64_t batch, bool shuffle, bool dropLast,
          uint64_t seed);
  ~Batcher();
  Batcher(const Batcher &) = delete;
  Batcher &operator=(const Batcher &) = delete;

  int64_t batchesPerEpoch() const;
  /// Starts an epoch (reshuffles with the seed and epoch number). The order
  /// depends only on (seed, epoch), so a resumed run that starts at batch
  /// `firstBatch` sees exactly the batches an uninterrupted run would.
  void startEpoch(int64_t epoch, int64_t firstBatch = 0);
  /// Fills the next batch; false at the end of the epoch. `valid` is the
  /// number of real samples in it.
  bool next(std::vector<float> &images, std::vector<int32_t> &labels,
            int64_t &valid);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace ffrt

#endif
