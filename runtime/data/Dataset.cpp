//===- Dataset.cpp - image classification datasets for ff-run -------------===//
#include "runtime/data/Dataset.h"

#include <zlib.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <future>
#include <numeric>
#include <random>
#include <sys/stat.h>

namespace ffrt {
namespace {

bool fileExists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

/// Reads a whole file, transparently un-gzipping it.
bool readMaybeGzipped(const std::string &path, std::vector<uint8_t> &out,
                      std::string &error) {
  if (!fileExists(path)) {
    error = "cannot open '" + path + "': no such file";
    return false;
  }
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) {
    error = "cannot open '" + path + "'";
    return false;
  }
  out.clear();
  uint8_t chunk[1 << 16];
  while (true) {
    int n = gzread(file, chunk, sizeof(chunk));
    if (n < 0) {
      int code = 0;
      error = "'" + path + "' is corrupt (" + gzerror(file, &code) + ")";
      gzclose(file);
      return false;
    }
    if (n == 0)
      break;
    out.insert(out.end(), chunk, chunk + n);
  }
  gzclose(file);
  return true;
}

uint32_t bigEndian32(const uint8_t *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) |
         uint32_t(p[3]);
}

} // namespace

bool loadIdx(const std::string &imagesPath, const std::string &labelsPath,
             Dataset &out, std::string &error) {
  std::vector<uint8_t> images, labels;
  if (!readMaybeGzipped(imagesPath, images, error) ||
      !readMaybeGzipped(labelsPath, labels, error))
    return false;
  if (images.size() < 16 || bigEndian32(images.data()) != 0x00000803) {
    error = "'" + imagesPath + "' is not an IDX image file (magic number 0x00000803 expected)";
    return false;
  }
  if (labels.size() < 8 || bigEndian32(labels.data()) != 0x00000801) {
    error = "'" + labelsPath + "' is not an IDX label file (magic number 0x00000801 expected)";
    return false;
  }
  uint64_t count = bigEndian32(images.data() + 4);
  uint64_t rows = bigEndian32(images.data() + 8), cols = bigEndian32(images.data() + 12);
  uint64_t labelCount = bigEndian32(labels.data() + 4);
  if (rows == 0 || cols == 0 || rows > 4096 || cols > 4096) {
    error = "'" + imagesPath + "' declares images of " + std::to_string(rows) + "x" +
            std::to_string(cols) + " pixels";
    return false;
  }
  if (images.size() != 16 + count * rows * cols) {
    error = "'" + imagesPath + "' is truncated or has trailing bytes: " +
            std::to_string(count) + " images of " + std::to_string(rows) + "x" +
            std::to_string(cols) + " need " + std::to_string(16 + count * rows * cols) +
            " bytes, the file has " + std::to_string(images.size());
    return false;
  }
  if (labels.size() != 8 + labelCount) {
    error = "'" + labelsPath + "' is truncated or has trailing bytes: " +
            std::to_string(labelCount) + " labels need " + std::to_string(8 + labelCount) +
            " bytes, the file has " + std::to_string(labels.size());
    return false;
  }
  if (labelCount != count) {
    error = "'" + imagesPath + "' has " + std::to_string(count) + " images but '" +
            labelsPath + "' has " + std::to_string(labelCount) + " labels";
    return false;
  }
  out.channels = 1;
  out.height = rows;
  out.width = cols;
  out.pixels.assign(images.begin() + 16, images.end());
  out.labels.resize(count);
  int32_t maxLabel = 0;
  for (uint64_t i = 0; i < count; ++i) {
    out.labels[i] = labels[8 + i];
    maxLabel = std::max(maxLabel, out.labels[i]);
  }
  if (out.classes == 0)
    out.classes = maxLabel + 1;
  return true;
}

bool loadCifar(const std::string &dir, bool cifar100, bool train, Dataset &out,
               std::string &error) {
  std::vector<std::string> files;
  if (cifar100)
    files = {dir + (train ? "/train.bin" : "/test.bin")};
  else if (train)
    for (int i = 1; i <= 5; ++i)
      files.push_back(dir + "/data_batch_" + std::to_string(i) + ".bin");
  else
    files = {dir + "/test_batch.bin"};
  const size_t labelBytes = cifar100 ? 2 : 1, record = labelBytes + 3072;
  out.channels = 3;
  out.height = out.width = 32;
  out.classes = cifar100 ? 100 : 10;
  out.pixels.clear();
  out.labels.clear();
  for (const std::string &path : files) {
    std::vector<uint8_t> bytes;
    if (!readMaybeGzipped(path, bytes, error))
      return false;
    if (bytes.empty() || bytes.size() % record != 0) {
      error = "'" + path + "' is not a CIFAR-" + (cifar100 ? "100" : "10") +
              " binary batch: " + std::to_string(bytes.size()) +
              " bytes is not a multiple of the " + std::to_string(record) + "-byte record";
      return false;
    }
    for (size_t off = 0; off < bytes.size(); off += record) {
      int32_t label = bytes[off + labelBytes - 1];
      if (label >= out.classes) {
        error = "'" + path + "' has label " + std::to_string(label) + " in record " +
                std::to_string(off / record) + " (classes: " +
                std::to_string(out.classes) + ")";
        return false;
      }
      out.labels.push_back(label);
      out.pixels.insert(out.pixels.end(), bytes.begin() + off + labelBytes,
                        bytes.begin() + off + record);
    }
  }
  return true;
}

bool loadDataset(const std::string &spec, bool train, Dataset &out,
                 std::string &error) {
  std::string kind = spec, dir;
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    kind = spec.substr(0, colon);
    dir = spec.substr(colon + 1);
  }
  out = Dataset();
  out.name = kind;
  if (kind == "fashion-mnist" || kind == "mnist") {
    if (dir.empty()) {
      if (kind == "mnist") {
        error = "--data=mnist needs a directory: mnist:DIR (with the four IDX files)";
        return false;
      }
      dir = "/usr/share/datasets/fashion-mnist";
    }
    std::string prefix = dir + (train ? "/train" : "/t10k");
    auto pick = [&](const std::string &base) {
      return fileExists(base + ".gz") ? base + ".gz" : base;
    };
    out.classes = 10;
    if (!loadIdx(pick(prefix + "-images-idx3-ubyte"), pick(prefix + "-labels-idx1-ubyte"),
                 out, error)) {
      if (spec == "fashion-mnist" && !fileExists(dir + "/train-images-idx3-ubyte.gz"))
        error += " (install the Debian package dataset-fashion-mnist, or use "
                 "fashion-mnist:DIR)";
      return false;
    }
    if (kind == "fashion-mnist") {
      out.mean = {0.2860f};
      out.std = {0.3530f};
    } else {
      out.mean = {0.1307f};
      out.std = {0.3081f};
    }
    return true;
  }
  if (kind == "cifar10" || kind == "cifar100") {
    if (dir.empty()) {
      error = "--data=" + kind + " needs a directory: " + kind +
              ":DIR (the binary version of the dataset)";
      return false;
    }
    if (!loadCifar(dir, kind == "cifar100", train, out, error))
      return false;
    if (kind == "cifar10") {
      out.mean = {0.4914f, 0.4822f, 0.4465f};
      out.std = {0.2470f, 0.2435f, 0.2616f};
    } else {
      out.mean = {0.5071f, 0.4865f, 0.4409f};
      out.std = {0.2673f, 0.2564f, 0.2762f};
    }
    return true;
  }
  error = "unknown dataset '" + spec +
          "'; use fashion-mnist, fashion-mnist:DIR, mnist:DIR, cifar10:DIR or cifar100:DIR";
  return false;
}

void takeSubset(Dataset &data, int64_t n) {
  if (n <= 0 || n >= data.count())
    return;
  data.labels.resize(n);
  data.pixels.resize(n * data.sampleSize());
}

struct Batcher::Impl {
  const Dataset &data;
  int64_t batch;
  bool shuffle, dropLast;
  uint64_t seed;
  std::vector<int64_t> order;
  int64_t cursor = 0;
  std::future<bool> pending;
  std::vector<float> nextImages;
  std::vector<int32_t> nextLabels;
  int64_t nextValid = 0;
  std::vector<float> scale, shift; // per channel: (x/255 - mean)/std

  Impl(const Dataset &d, int64_t b, bool s, bool dl, uint64_t sd)
      : data(d), batch(b), shuffle(s), dropLast(dl), seed(sd) {
    for (int64_t c = 0; c < d.channels; ++c) {
      float m = c < int64_t(d.mean.size()) ? d.mean[c] : 0.0f;
      float sdv = c < int64_t(d.std.size()) ? d.std[c] : 1.0f;
      scale.push_back(1.0f / (255.0f * sdv));
      shift.push_back(-m / sdv);
    }
  }
  int64_t batches() const {
    return dropLast ? data.count() / batch : (data.count() + batch - 1) / batch;
  }
  bool fill(std::vector<float> &images, std::vector<int32_t> &labels, int64_t &valid) {
    if (cursor >= batches())
      return false;
    int64_t sample = data.sampleSize(), plane = data.height * data.width;
    images.assign(batch * sample, 0.0f);
    labels.assign(batch, -1);
    int64_t begin = cursor * batch;
    valid = std::min(batch, data.count() - begin);
    for (int64_t i = 0; i < valid; ++i) {
      int64_t idx = order[begin + i];
      const uint8_t *src = data.pixels.data() + idx * sample;
      float *dst = images.data() + i * sample;
      for (int64_t c = 0; c < data.channels; ++c)
        for (int64_t p = 0; p < plane; ++p)
          dst[c * plane + p] = src[c * plane + p] * scale[c] + shift[c];
      labels[i] = data.labels[idx];
    }
    ++cursor;
    return true;
  }
  void prefetch() {
    pending = std::async(std::launch::async, [this] {
      return fill(nextImages, nextLabels, nextValid);
    });
  }
};

Batcher::Batcher(const Dataset &data, int64_t batch, bool shuffle, bool dropLast,
                 uint64_t seed)
    : impl(std::make_unique<Impl>(data, batch, shuffle, dropLast, seed)) {}

Batcher::~Batcher() {
  if (impl->pending.valid())
    impl->pending.wait();
}

int64_t Batcher::batchesPerEpoch() const { return impl->batches(); }

void Batcher::startEpoch(int64_t epoch, int64_t firstBatch) {
  if (impl->pending.valid())
    impl->pending.wait();
  impl->order.resize(impl->data.count());
  std::iota(impl->order.begin(), impl->order.end(), 0);
  if (impl->shuffle) {
    std::mt19937_64 rng(impl->seed * 1000003ULL + uint64_t(epoch));
    std::shuffle(impl->order.begin(), impl->order.end(), rng);
  }
  impl->cursor = std::max<int64_t>(0, firstBatch);
  impl->prefetch();
}

bool Batcher::next(std::vector<float> &images, std::vector<int32_t> &labels,
                   int64_t &valid) {
  if (!impl->pending.valid() || !impl->pending.get())
    return false;
  images.swap(impl->nextImages);
  labels.swap(impl->nextLabels);
  valid = impl->nextValid;
  impl->prefetch();
  return true;
}

} // namespace ffrt
