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
  fit.mismatches = UINT32_MAX;
  // Quarter octaves: a filesystem's run need not be a power of two (ext4 reads ahead only
  // the inode-table blocks in use, so its runs are a part of the 32-block window).
  for (int k = 0; k <= 80; ++k) {
    const auto run = static_cast<uint64_t>(std::llround(std::exp2(k / 4.0)));
    std::unordered_set<uint64_t> cached;
    uint32_t wrong = 0;
    for (const InodeProbe& p : probes)
      wrong += cached.insert(p.ino / run).second != (p.requests > 0);
    if (wrong <= fit.mismatches) {  // a tie goes to the longer run
      fit.mismatches = wrong;
      fit.inodes_per_miss = run;
    }
  }
  fit.reads_per_miss = static_cast<double>(requests) / fit.misses;
  fit.ios_per_miss = static_cast<double>(requests + merged) / fit.misses;
  return fit;
}

}  // namespace sfsg
