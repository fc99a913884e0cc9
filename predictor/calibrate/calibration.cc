#include "predictor/calibrate/calibration.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace sfsg {

double MeasuredTime::QuantileUs(double q) const {
  if (quantiles_us.empty()) return 0;
  if (q <= quantiles_us.front().first) return quantiles_us.front().second;
  for (size_t i = 1; i < quantiles_us.size(); ++i) {
    const auto& [q1, v1] = quantiles_us[i];
    if (q <= q1) {
      const auto& [q0, v0] = quantiles_us[i - 1];
      return q1 > q0 ? v0 + (v1 - v0) * (q - q0) / (q1 - q0) : v1;
    }
  }
  return quantiles_us.back().second;
}

MeasuredTime MeasuredTimeFromNs(const LogHistogram& latency_ns) {
  MeasuredTime out;
  out.samples = latency_ns.count();
  if (out.samples == 0) return out;
  out.mean_us = latency_ns.mean() / 1e3;
  for (double q : kServiceQuantiles) out.quantiles_us.emplace_back(q, latency_ns.Quantile(q) / 1e3);
  return out;
}

MeasuredTime MissCost(MeasuredTime buffered, double device_us) {
  double top = 0;  // the cost at kMissCostTop, held above it
  for (auto& [q, us] : buffered.quantiles_us) {
    us = q <= kMissCostTop ? std::max(0.0, us - device_us) : top;
    if (q <= kMissCostTop) top = us;
  }
  buffered.mean_us = std::min(std::max(0.0, buffered.mean_us - device_us), top);
  return buffered;
}

std::optional<InodeFit> FitInodeRecords(const std::vector<InodeProbe>& probes) {
  InodeFit fit;
  fit.probes = static_cast<uint32_t>(probes.size());
  uint64_t requests = 0, merged = 0;
  for (const InodeProbe& p : probes) {
    if (p.requests == 0) continue;
    ++fit.misses;
    requests += p.requests;
    merged += p.merged;
  }
  if (fit.misses < kMinInodeMisses) return std::nullopt;
  // Quarter octaves: a filesystem's run need not be a power of two (ext4 reads ahead only
  // the inode-table blocks in use, so its runs are a part of its 32-block window).
  constexpr int kSteps = 81;
  std::vector<uint32_t> wrong(kSteps, 0);
  const auto run_at = [](int k) { return std::exp2(k / 4.0); };
  int best = 0;
  for (int k = 0; k < kSteps; ++k) {
    const auto run = static_cast<uint64_t>(std::llround(run_at(k)));
    std::unordered_set<uint64_t> cached;
    for (const InodeProbe& p : probes)
      wrong[k] += cached.insert(p.ino / run).second != (p.requests > 0);
    if (wrong[k] < wrong[best]) best = k;
  }
  // The valley around the best is flat (on ext4, lengths from 215 to 609 predicted within
  // 10% of the best, and the best moved from 128 to 431 between calibrations of one
  // target): its geometric middle, the lengths within 10% (at least 2) of the best.
  const uint32_t near = std::max(wrong[best] + 2, wrong[best] + wrong[best] / 10);
  int lo = best, hi = best;
  while (lo > 0 && wrong[lo - 1] <= near) --lo;
  while (hi + 1 < kSteps && wrong[hi + 1] <= near) ++hi;
  fit.inodes_per_miss = static_cast<uint64_t>(std::llround(run_at((lo + hi) / 2.0)));
  fit.mismatches = 0;
  std::unordered_set<uint64_t> cached;
  for (const InodeProbe& p : probes)
    fit.mismatches += cached.insert(p.ino / fit.inodes_per_miss).second != (p.requests > 0);
  fit.reads_per_miss = static_cast<double>(requests) / fit.misses;
  fit.ios_per_miss = static_cast<double>(requests + merged) / fit.misses;
  return fit;
}

}  // namespace sfsg
