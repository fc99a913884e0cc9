#include "predictor/scenarios.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "generator/util/hash.h"

namespace sfsg {
namespace {

constexpr double kDay = 86400;
constexpr double kStart = 1.7e9;  // 2023-11-14, an arbitrary origin

double Normal(SplitMixStream& stream) {
  const double u1 = 1.0 - stream.NextUnit();
  const double u2 = stream.NextUnit();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

// `usage(t_days)` in TiB sampled every step over history_days, noise added; the future
// noise-free to 400 days after and the first crossing of 8 TiB.
Scenario Make(std::string name, double step_s, double history_days,
              const std::function<double(double)>& usage, uint64_t seed, double noise_tib) {
  Scenario s;
  s.name = std::move(name);
  s.step_s = step_s;
  s.capacity = 10 * kTiB;
  s.threshold = 0.8 * s.capacity;
  s.history.name = "used_bytes";
  s.history.unit = "bytes";
  SplitMixStream stream(HashWords(seed, 0x5ce7a110, s.name.size()));
  const size_t n = static_cast<size_t>(std::llround(history_days * kDay / step_s));
  for (size_t i = 0; i < n; ++i) {
    const double t = static_cast<double>(i) * step_s;
    s.history.time_s.push_back(kStart + t);
    s.history.values.push_back((usage(t / kDay) + noise_tib * Normal(stream)) * kTiB);
  }
  s.history.quality.samples = n;
  s.history.quality.median_step_s = step_s;
  s.history.quality.longest_gap_s = step_s;
  const double end = static_cast<double>(n - 1) * step_s;
  const size_t future_steps = static_cast<size_t>(400 * kDay / step_s);
  bool crossed = false;
  for (size_t h = 1; h <= future_steps; ++h) {
    const double t = end + static_cast<double>(h) * step_s;
    s.future.push_back(usage(t / kDay) * kTiB);
  }
  // The truth at a fine resolution (a tenth of a step).
  for (double dt = 0; dt <= 400 * kDay && !crossed; dt += step_s / 10) {
    if (usage((end + dt) / kDay) * kTiB >= s.threshold) {
      s.truth_s = dt;
      crossed = true;
    }
  }
  return s;
}

}  // namespace

Scenario ImportScenario(uint64_t seed, double noise_tib) {
  return ImportScenario(seed, noise_tib, 1.0, 45);
}

Scenario ImportScenario(uint64_t seed, double noise_tib, double size_tib, double day) {
  return Make(
      "import", kDay, 60,
      [size_tib, day](double d) { return 5 + 0.01 * d + (d >= day ? size_tib : 0.0); }, seed,
      noise_tib);
}

Scenario RetentionScenario(uint64_t seed, double noise_tib) {
  return Make(
      "retention", 3600, 60, [](double d) { return 4 + 0.02 * d + 0.1 * std::fmod(d, 7.0); }, seed,
      noise_tib);
}

Scenario CleanupScenario(uint64_t seed, double noise_tib) {
  return Make(
      "cleanup", kDay, 60, [](double d) { return 4 + 0.05 * d - (d >= 40 ? 2.0 : 0.0); }, seed,
      noise_tib);
}

Scenario MigrationScenario(uint64_t seed, double noise_tib) {
  return Make(
      "migration", kDay, 60,
      [](double d) { return 5 + 0.01 * d + 1.5 * std::clamp((d - 35) / 5, 0.0, 1.0); }, seed,
      noise_tib);
}

Scenario WeeklyImportScenario(uint64_t seed, double noise_tib) {
  return Make(
      "weekly import", kDay, 84,
      [](double d) {
        return 5 + 0.01 * d + 0.2 * std::sin(2 * M_PI * d / 7) + (d >= 60 ? 1.5 : 0.0);
      },
      seed, noise_tib);
}

Scenario CompoundScenario(uint64_t seed, double noise_tib) {
  return CompoundScenario(seed, noise_tib, 0.03, 180, kDay, 0);
}

Scenario CompoundScenario(uint64_t seed, double noise_tib, double per_week, double history_days,
                          double step_s, double daily_tib) {
  return Make(
      "compound", step_s, history_days,
      [=](double d) {
        return 2.5 * std::pow(1 + per_week, d / 7) + daily_tib * std::sin(2 * M_PI * d);
      },
      seed, noise_tib);
}

Scenario DailyWeeklyScenario(uint64_t seed, double noise_tib) {
  return Make(
      "daily and weekly", 3600, 60,
      [](double d) {
        return 4 + 0.03 * d + 0.3 * std::sin(2 * M_PI * d / 7) + 0.1 * std::sin(2 * M_PI * d);
      },
      seed, noise_tib);
}

Scenario BurstyScenario(uint64_t seed) {
  // Writes at a mean rate of 5 TiB in 48 days from 3 TiB (80% on day 48), a daily cycle of
  // +-60% times a log-normal burst factor whose logarithm is an AR(1) of correlation 0.95
  // per 5 minutes (bursts an hour or two long, a standard deviation of 1, mean factor 1).
  constexpr double kStep = 300, kHistoryDays = 14, kPerDay = kDay / kStep;
  constexpr double kRate = 5.0 / 48 / kPerDay;  // TiB per step
  constexpr double kPhi = 0.95;
  Scenario s;
  s.name = "bursty";
  s.step_s = kStep;
  s.capacity = 10 * kTiB;
  s.threshold = 0.8 * s.capacity;
  s.history.name = "used_bytes";
  s.history.unit = "bytes";
  SplitMixStream stream(HashWords(seed, 0x5ce7a110, 0xb0257));
  const size_t n = static_cast<size_t>(kHistoryDays * kPerDay) + 1;
  double used = 3, burst = Normal(stream);
  const size_t future = static_cast<size_t>(400 * kPerDay);
  for (size_t i = 0; i < n + future; ++i) {
    if (i < n) {
      s.history.time_s.push_back(kStart + static_cast<double>(i) * kStep);
      s.history.values.push_back(used * kTiB);
    } else {
      s.future.push_back(used * kTiB);
    }
    burst = kPhi * burst + std::sqrt(1 - kPhi * kPhi) * Normal(stream);
    const double cycle = 1 + 0.6 * std::sin(2 * M_PI * static_cast<double>(i) / kPerDay);
    used += kRate * cycle * std::exp(burst - 0.5);
  }
  s.future_realized = true;
  s.history.quality.samples = n;
  s.history.quality.median_step_s = kStep;
  s.history.quality.longest_gap_s = kStep;
  // The truth is the mean rate's: from the last value, 5/48 TiB a day (the realized
  // future crosses within about 13% of it).
  const double last = s.history.values.back() / kTiB;
  s.truth_s = std::max(0.0, (8 - last) / kRate * kStep);
  return s;
}

}  // namespace sfsg
