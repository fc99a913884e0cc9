#include "generator/util/log_histogram.h"

#include <algorithm>

namespace sfsg {

void LogHistogram::Merge(const LogHistogram& other) {
  for (int b = 0; b < LogBuckets::kCount; ++b) counts_[b] += other.counts_[b];
  total_ += other.total_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double LogHistogram::Quantile(double q) const {
  if (total_ == 0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  const double target = q * static_cast<double>(total_);
  double seen = 0;
  for (int b = 0; b < LogBuckets::kCount; ++b) {
    if (counts_[b] == 0) continue;
    const double next = seen + static_cast<double>(counts_[b]);
    if (next >= target) {
      const double low = static_cast<double>(LogBuckets::Low(b));
      const double high = static_cast<double>(LogBuckets::High(b));
      const double within = counts_[b] ? (target - seen) / static_cast<double>(counts_[b]) : 0;
      const double v = low + within * (high - low);
      return std::clamp(v, static_cast<double>(min()), static_cast<double>(max_));
    }
    seen = next;
  }
  return static_cast<double>(max_);
}

LogHistogram AtomicLogHistogram::Snapshot() const {
  LogHistogram out;
  for (int b = 0; b < LogBuckets::kCount; ++b) {
    const uint64_t n = counts_[b].load(std::memory_order_relaxed);
    if (n) {
      // Use the bucket's low edge as the representative value; min/max are coarse.
      out.Add(LogBuckets::Low(b), n);
    }
  }
  return out;
}

}  // namespace sfsg
