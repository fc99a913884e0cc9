// Log-linear histograms of non-negative integers (latencies in ns, sizes in bytes).
//
// 32 sub-buckets per power of two: values below 32 are exact, larger ones are kept
// within 1/32 (3.1%) relative error, over the whole uint64 range in 1,920 buckets.
// The same bucketing serves sfsg-scan's size quantiles, the replayer's latencies and
// the mount's metrics, so their percentiles mean the same thing.
//
// LogHistogram is thread-compatible (one writer, or external locking).
// AtomicLogHistogram is thread-safe and lock-free: Add() is one relaxed atomic
// increment, for hot paths. Neither allocates after construction.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace sfsg {

struct LogBuckets {
  static constexpr int kSubBits = 5;
  static constexpr int kSub = 1 << kSubBits;
  static constexpr int kCount = (64 - kSubBits + 1) * kSub;

  static int Of(uint64_t v) {
    if (v < static_cast<uint64_t>(kSub)) return static_cast<int>(v);
    const int e = 63 - __builtin_clzll(v);
    const int mantissa = static_cast<int>((v >> (e - kSubBits)) & (kSub - 1));
    return (e - kSubBits + 1) * kSub + mantissa;
  }
  // Smallest value that falls in bucket b.
  static uint64_t Low(int b) {
    if (b < kSub) return static_cast<uint64_t>(b);
    const int e = b / kSub + kSubBits - 1;
    const uint64_t mantissa = static_cast<uint64_t>(b % kSub);
    return (uint64_t{1} << e) | (mantissa << (e - kSubBits));
  }
  // One past the largest value in bucket b (saturating at UINT64_MAX).
  static uint64_t High(int b) { return b + 1 < kCount ? Low(b + 1) : UINT64_MAX; }
};

class LogHistogram {
 public:
  LogHistogram() : counts_(LogBuckets::kCount, 0) {}

  void Add(uint64_t value, uint64_t count = 1) {
    counts_[LogBuckets::Of(value)] += count;
    total_ += count;
    sum_ += static_cast<long double>(value) * count;
    if (value < min_) min_ = value;
    if (value > max_) max_ = value;
  }
  void Merge(const LogHistogram& other);

  uint64_t count() const { return total_; }
  double sum() const { return static_cast<double>(sum_); }
  double mean() const { return total_ ? static_cast<double>(sum_ / total_) : 0.0; }
  uint64_t min() const { return total_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  const std::vector<uint64_t>& counts() const { return counts_; }

  // The q-quantile (0 <= q <= 1), interpolated linearly inside its bucket and clamped
  // to [min, max]. Returns 0 for an empty histogram.
  double Quantile(double q) const;

 private:
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  long double sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

class AtomicLogHistogram {
 public:
  AtomicLogHistogram() : counts_(std::make_unique<std::atomic<uint64_t>[]>(LogBuckets::kCount)) {}

  void Add(uint64_t value) {
    counts_[LogBuckets::Of(value)].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
    uint64_t seen = max_.load(std::memory_order_relaxed);
    while (value > seen && !max_.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
  }
  // A consistent-enough copy for reporting; concurrent Add()s may or may not be included.
  LogHistogram Snapshot() const;

 private:
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
};

}  // namespace sfsg
