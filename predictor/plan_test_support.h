// Inputs shared by the capacity plan's tests (capacity_plan_test, plan_table_test,
// plan_output_test): a USL ladder, a usage table that counts inodes, one whose growth slowed.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <initializer_list>

#include "predictor/capacity_plan.h"
#include "predictor/test_support.h"

namespace sfsg::testing {

// A closed-loop ladder on a USL system; latency by Little's law (R = N / X), p99 three
// times the mean.
inline PerfCurve UslCurve(std::initializer_list<uint32_t> ladder) {
  PerfCurve curve;
  curve.source = "test";
  curve.target = "/synthetic";
  curve.created_unix = 1.7e9;
  for (uint32_t n : ladder) {
    CurveStep step;
    step.concurrency = n;
    step.duration_s = 10;
    const double x = 2000.0 * n / (1 + 0.05 * (n - 1) + 0.002 * n * (n - 1));
    step.total.ops_per_s = x;
    step.total.ops = static_cast<uint64_t>(x * 10);
    step.total.latency.mean_us = 1e6 * n / x;
    step.total.latency.p50_us = 0.8 * step.total.latency.mean_us;
    step.total.latency.p99_us = 3 * step.total.latency.mean_us;
    curve.steps.push_back(step);
  }
  return curve;
}

// 60 daily samples: 2M files growing 50k a day against 10M inodes (with a 20% buffer,
// 8M are reached 61 days after the last), bytes 1 TB + 1 GB a day of 100 TB.
inline UsageTable InodesUsage() {
  UsageTable t;
  t.source = "inodes.csv";
  Gaussian noise(5);
  for (int d = 0; d < 60; ++d) {
    t.time_s.push_back(1.7e9 + 86400.0 * d);
    t.columns["used_bytes"].push_back(1e12 + 1e9 * d + 1e7 * noise.Next());
    t.columns["capacity_bytes"].push_back(1e14);
    t.columns["files"].push_back(2e6 + 5e4 * d + 2e3 * noise.Next());
    t.columns["capacity_files"].push_back(1e7);
  }
  return t;
}

// The plan of InodesUsage() 90 days ahead.
inline Result<CapacityPlan> InodesPlan() {
  PlanInputs in;
  in.usage = InodesUsage();
  in.horizon_s = 90 * 86400.0;
  return MakeCapacityPlan(in);
}

// 60 daily samples on a 10 TiB volume: 5 TiB growing 0.05 TiB/day for 30 days, then 0.01
// (noise within 0.003 TiB). With the default 20% buffer the growth since the change
// reaches the threshold (8 TiB) about 121 days after the last sample; a model of the
// whole history says otherwise (StoragePlan::recent_rate).
inline UsageTable SlowedGrowthUsage() {
  constexpr double kTiB = 1099511627776.0;
  UsageTable t;
  t.source = "u.csv";
  uint64_t state = 1;
  for (int i = 0; i < 60; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const double noise = (static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5) * 0.006;
    const double tib = 5 + 0.05 * std::min(i, 30) + 0.01 * std::max(i - 30, 0) + noise;
    t.time_s.push_back(1.7e9 + 86400.0 * i);
    t.columns["used_bytes"].push_back(tib * kTiB);
    t.columns["capacity_bytes"].push_back(10 * kTiB);
  }
  return t;
}

// InodesUsage() with 6.5M inodes: the files (5M now) reach the 5.2M threshold in about 4
// days while the bytes (1.06 TB of 100 TB) do not reach theirs within the search limit.
inline UsageTable InodesFirstUsage() {
  UsageTable t = InodesUsage();
  t.source = "inodes-first.csv";
  for (double& v : t.columns["capacity_files"]) v = 6.5e6;
  return t;
}

// InodesUsage() with 16M inodes: the files (5M now, 9.5M at a 90-day horizon) reach the
// 12.8M threshold in about 157 days, before the bytes (not within the search limit), but
// the inodes hold to the horizon.
inline UsageTable InodesLaterUsage() {
  UsageTable t = InodesUsage();
  t.source = "inodes-later.csv";
  for (double& v : t.columns["capacity_files"]) v = 1.6e7;
  return t;
}

// 30 days of hourly samples on a 10 TiB volume growing at one steady rate, 0.56% of the
// capacity a day from 62%, with noise of sd 0.5% of the capacity (seed): the threshold
// (80%) about 2 days after the last sample. No change of rate, whatever the noise does to
// the last few points.
inline UsageTable NoisyLineUsage(uint64_t seed) {
  constexpr double kCapacity = 10 * 1099511627776.0;
  UsageTable t;
  t.source = "line.csv";
  Gaussian noise(seed);
  for (int i = 0; i <= 30 * 24; ++i) {
    const double day = i / 24.0;
    t.time_s.push_back(1.7e9 + 3600.0 * i);
    t.columns["used_bytes"].push_back(kCapacity * (0.62 + 0.0056 * day + 0.005 * noise.Next()));
    t.columns["capacity_bytes"].push_back(kCapacity);
  }
  return t;
}

// 60 days of hourly metering: used bytes grow 10 GiB/day on a 1 TiB volume; reads and
// writes (cumulative counters) run at 300 + 100 sin(day) ops/s, growing 2 ops/s per day;
// with_files: a files column too (1M + 2000 a day, no capacity_files).
inline UsageTable HourlyUsage(bool with_files) {
  UsageTable t;
  t.source = "usage.csv";
  Gaussian noise(3);
  double reads = 0, writes = 0;
  for (int i = 0; i < 60 * 24; ++i) {
    const double day = i / 24.0;
    t.time_s.push_back(1.7e9 + 3600.0 * i);
    t.columns["used_bytes"].push_back(3e11 + 1.0737e10 * day + 2e8 * noise.Next());
    t.columns["capacity_bytes"].push_back(1099511627776.0);
    if (with_files) t.columns["files"].push_back(1e6 + 2000 * day);
    const double rate = 300 + 2 * day + 100 * std::sin(2 * M_PI * day) + 5 * noise.Next();
    reads += 3600 * rate * 0.7;
    writes += 3600 * rate * 0.3;
    t.columns["read_ops"].push_back(reads);
    t.columns["write_ops"].push_back(writes);
  }
  return t;
}

}  // namespace sfsg::testing
