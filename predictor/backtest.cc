#include "predictor/backtest.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "predictor/decompose.h"

namespace sfsg {
namespace {

// In-sample mean absolute error of the seasonal naive forecast: the MASE denominator.
double MaseScale(std::span<const double> train, size_t season) {
  auto mean_abs_diff = [&](size_t lag) {
    double sum = 0;
    for (size_t t = lag; t < train.size(); ++t) sum += std::fabs(train[t] - train[t - lag]);
    return train.size() > lag ? sum / static_cast<double>(train.size() - lag) : 0;
  };
  double scale = season > 1 && train.size() > 2 * season ? mean_abs_diff(season) : 0;
  if (!(scale > 0)) scale = mean_abs_diff(1);
  if (!(scale > 0)) {
    double magnitude = 0;
    for (double v : train) magnitude = std::max(magnitude, std::fabs(v));
    scale = 1e-12 * std::max(1.0, magnitude);
  }
  return scale;
}

// The p-quantile (linear between order statistics) of `values`, which it reorders: two
// selections instead of a sort, as CheckCoverage asks for four quantiles of each of
// folds x folds x horizon standardised errors.
double Quantile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  const double position = p * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const auto at = values.begin() + static_cast<std::ptrdiff_t>(below);
  std::nth_element(values.begin(), at, values.end());
  const double low = *at;
  const double high = below + 1 < values.size() ? *std::min_element(at + 1, values.end()) : low;
  const double w = position - static_cast<double>(below);
  return low * (1 - w) + high * w;
}

// Student-t quantile over the normal one, times sqrt(1 + 1/k): the widening a predictive
// interval needs when its scale is estimated from k independent errors. The t quantile
// is the Cornish–Fisher expansion (Abramowitz & Stegun 26.7.5), with k - 1 >= 2 degrees.
double SmallSampleFactor(double p, double k) {
  const double z = p >= 0.975 ? 1.959964 : 1.281552;
  const double v = std::max(k - 1, 2.0);
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  const double t = z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) +
                   (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v);
  return t / z * std::sqrt(1 + 1 / std::max(k, 1.0));
}

// The error scale sigma(h) from the sums of squared errors (and their counts) at each
// lead time over the accepted folds: the RMS error over a window of +-h/4 lead times,
// made non-decreasing, and the growth exponent beyond it. The horizon is the longest lead
// any accepted fold reaches. Returns false when no fold is accepted or every error is zero.
bool ScaleFromSums(const std::vector<double>& sum, const std::vector<double>& count,
                   std::vector<double>& scale, double& exponent) {
  size_t horizon = 0;
  for (size_t h = 0; h < count.size(); ++h)
    if (count[h] > 0) horizon = h + 1;
  scale.clear();
  exponent = 0.5;
  if (horizon == 0) return false;
  std::vector<double> prefix_sum(horizon + 1, 0), prefix_count(horizon + 1, 0);
  for (size_t h = 0; h < horizon; ++h) {
    prefix_sum[h + 1] = prefix_sum[h] + sum[h];
    prefix_count[h + 1] = prefix_count[h] + count[h];
  }
  scale.resize(horizon);
  double running_max = 0;
  for (size_t h = 0; h < horizon; ++h) {
    const size_t half = (h + 1) / 4;
    const size_t lo = h >= half ? h - half : 0, hi = std::min(horizon, h + half + 1);
    const double n = prefix_count[hi] - prefix_count[lo];
    const double rms = n > 0 ? std::sqrt((prefix_sum[hi] - prefix_sum[lo]) / n) : 0;
    running_max = std::max(running_max, rms);
    scale[h] = running_max;
  }
  if (!(scale.back() > 0)) {
    scale.clear();
    return false;
  }
  // Growth beyond the backtest: log-log slope over the second half of the lead times.
  if (horizon >= 4 && scale[horizon / 2 - 1] > 0) {
    const double a = std::log(scale[horizon - 1] / scale[horizon / 2 - 1]) /
                     std::log(static_cast<double>(horizon) / static_cast<double>(horizon / 2));
    exponent = std::clamp(a, 0.0, 1.5);
  }
  // The first positive scale stands in for zero ones at short lead times.
  double first_positive = 0;
  for (double s : scale)
    if (s > 0) {
      first_positive = s;
      break;
    }
  for (double& s : scale) s = std::max(s, first_positive);
  return true;
}

size_t LongestFold(const std::vector<std::vector<double>>& e) {
  size_t longest = 0;
  for (const std::vector<double>& fold : e) longest = std::max(longest, fold.size());
  return longest;
}

// ScaleFromSums over the folds `use` accepts.
template <typename Accept>
bool ScaleCurve(const std::vector<std::vector<double>>& e, const Accept& use,
                std::vector<double>& scale, double& exponent) {
  const size_t longest = LongestFold(e);
  std::vector<double> sum(longest, 0), count(longest, 0);
  for (size_t k = 0; k < e.size(); ++k)
    if (use(k))
      for (size_t h = 0; h < e[k].size(); ++h) sum[h] += e[k][h] * e[k][h], count[h] += 1;
  return ScaleFromSums(sum, count, scale, exponent);
}

// Sums of squared errors (and counts) per lead time over the folds before each index and
// from each index on, leaving one fold out: the folds apart from fold k (those whose
// origins lie at least a lead apart from its own) are a prefix and a suffix of folds in
// origin order, so each one's sums are two lookups, not a pass over every fold. Built
// by adding up (never by subtracting), so a fold's huge error cannot cancel the others'.
struct FoldSums {
  std::vector<std::vector<double>> head_sum, head_count, tail_sum, tail_count;  // [index][h]

  template <typename Accept>
  FoldSums(const std::vector<std::vector<double>>& e, const Accept& usable) {
    const size_t folds = e.size(), longest = LongestFold(e);
    head_sum.assign(folds + 1, std::vector<double>(longest, 0));
    head_count = tail_sum = tail_count = head_sum;
    for (size_t k = 0; k < folds; ++k) {
      head_sum[k + 1] = head_sum[k], head_count[k + 1] = head_count[k];
      if (usable(k))
        for (size_t h = 0; h < e[k].size(); ++h)
          head_sum[k + 1][h] += e[k][h] * e[k][h], head_count[k + 1][h] += 1;
    }
    for (size_t k = folds; k-- > 0;) {
      tail_sum[k] = tail_sum[k + 1], tail_count[k] = tail_count[k + 1];
      if (usable(k))
        for (size_t h = 0; h < e[k].size(); ++h)
          tail_sum[k][h] += e[k][h] * e[k][h], tail_count[k][h] += 1;
    }
  }

  // Folds [0, head) and [tail, folds).
  bool Scale(size_t head, size_t tail, std::vector<double>& scale, double& exponent) const {
    std::vector<double> sum = head_sum[head], count = head_count[head];
    for (size_t h = 0; h < sum.size(); ++h)
      sum[h] += tail_sum[tail][h], count[h] += tail_count[tail][h];
    return ScaleFromSums(sum, count, scale, exponent);
  }
};

}  // namespace

std::vector<size_t> FoldOrigins(size_t n, const BacktestSetup& setup) {
  std::vector<size_t> origins;
  if (setup.horizon == 0 || n < setup.min_train + setup.horizon || setup.folds == 0) return origins;
  const size_t last = n - setup.horizon;
  const size_t first = std::min(last, std::max<size_t>(setup.min_train, 1));
  std::vector<size_t> allowed;
  for (size_t o = first; o <= last; ++o) {
    bool ok = true;
    for (const LevelShift& s : setup.shifts)
      if (s.kind != ShiftKind::kRetention && s.index + 3 > o &&
          std::min(s.begin, s.index) < o + setup.horizon)
        ok = false;
    if (ok) allowed.push_back(o);
  }
  if (allowed.empty()) return origins;
  const size_t count = std::min(setup.folds, allowed.size());
  if (count == 1) return {allowed.back()};
  for (size_t i = 0; i < count; ++i)
    origins.push_back(allowed[(allowed.size() - 1) * i / (count - 1)]);
  return origins;
}

std::vector<ModelErrors> RunBacktest(std::span<const double> y, const BacktestSetup& setup,
                                     std::span<const ModelKind> models) {
  const std::vector<size_t> origins = FoldOrigins(y.size(), setup);
  std::vector<ModelErrors> out;
  for (ModelKind kind : models) {
    ModelErrors e;
    e.model = kind;
    e.applies = !origins.empty() && ModelApplies(kind, origins.front(), setup.model);
    out.push_back(std::move(e));
  }
  // The intervention model at an origin: the lasting steps before it taken out.
  const auto training = [&](size_t origin) {
    std::vector<LevelShift> known;
    for (const LevelShift& s : setup.shifts)
      if (s.index < origin) known.push_back(s);
    return RemoveLevelShifts(y.first(origin), known);
  };
  // One MASE scale for the whole backtest (that of the longest training window): every
  // fold and every model is scaled alike, so a fold's weight in a mean does not depend on
  // how noisy its own training window happened to be.
  const double scale =
      origins.empty() ? 1 : MaseScale(training(origins.back()), setup.model.season);
  for (size_t origin : origins) {
    const std::span<const double> seen = y.first(origin);
    const std::vector<double> train = training(origin);
    const std::span<const double> actual = y.subspan(origin, setup.horizon);
    for (ModelErrors& e : out) {
      if (!e.applies) continue;
      const std::vector<double> forecast = FitAndForecast(
          e.model, e.model == ModelKind::kPredictLinear ? seen : std::span<const double>(train),
          setup.horizon, setup.model);
      std::vector<double> errors(setup.horizon);
      double abs_sum = 0, smape_sum = 0;
      for (size_t h = 0; h < setup.horizon; ++h) {
        errors[h] = actual[h] - forecast[h];
        abs_sum += std::fabs(errors[h]);
        const double denominator = std::fabs(actual[h]) + std::fabs(forecast[h]);
        smape_sum += denominator > 0 ? 2 * std::fabs(errors[h]) / denominator : 0;
      }
      e.mase.push_back(abs_sum / static_cast<double>(setup.horizon) / scale);
      e.scale.push_back(scale);
      e.smape.push_back(100 * smape_sum / static_cast<double>(setup.horizon));
      e.errors.push_back(std::move(errors));
      e.actual.emplace_back(actual.begin(), actual.end());
      e.origins.push_back(origin);
    }
  }
  return out;
}

namespace {

// CalibrateIntervals on the folds `usable` accepts.
constexpr size_t kCapFolds = 10;

template <typename Accept>
IntervalModel CalibrateOn(const ModelErrors& errors, const Accept& usable) {
  IntervalModel model;
  const auto& e = errors.errors;
  if (!ScaleCurve(e, usable, model.scale, model.exponent)) return model;
  size_t horizon = model.scale.size();
  // Blocked cross-validation: fold k's errors are standardised by the scale of the folds
  // whose windows do not overlap it, so the quantiles carry the scale's own estimation
  // error, and shared errors of overlapping folds cannot vouch for each other.
  std::vector<double> z, magnitude;
  size_t contributing = 0;
  const std::vector<size_t>& origins = errors.origins;
  const bool ordered = origins.size() == e.size() && std::is_sorted(origins.begin(), origins.end());
  const std::optional<FoldSums> sums =
      ordered ? std::optional<FoldSums>(std::in_place, e, usable) : std::nullopt;
  for (size_t k = 0; k < e.size(); ++k) {
    if (!usable(k)) continue;
    std::vector<double> scale;
    double exponent = 0;
    bool scaled = false;
    if (sums) {
      // Folds [0, head) end a lead or more before fold k; [tail, folds) start a lead or more
      // after it.
      const size_t head = origins[k] < horizon
                              ? 0
                              : static_cast<size_t>(std::upper_bound(origins.begin(), origins.end(),
                                                                     origins[k] - horizon) -
                                                    origins.begin());
      const size_t tail = static_cast<size_t>(
          std::lower_bound(origins.begin(), origins.end(), origins[k] + horizon) - origins.begin());
      scaled = sums->Scale(head, tail, scale, exponent);
    } else {
      const auto apart = [&](size_t j) {
        if (!usable(j) || j == k) return false;
        const size_t a = origins[j], b = origins[k];
        return (a > b ? a - b : b - a) >= horizon;
      };
      scaled = ScaleCurve(e, apart, scale, exponent);
    }
    if (!scaled) continue;
    IntervalModel held_out;
    held_out.scale = std::move(scale);
    held_out.exponent = exponent;
    ++contributing;
    for (size_t h = 0; h < e[k].size(); ++h) {
      z.push_back(e[k][h] / IntervalScale(held_out, h + 1));
      magnitude.push_back(std::fabs(z.back()));
    }
  }
  double f80 = 1, f95 = 1;
  if (contributing < 3) {
    // Too few separated folds: standardise by the common scale and widen by a Student-t
    // factor for the number of folds.
    z.clear();
    magnitude.clear();
    size_t folds = 0;
    for (size_t k = 0; k < e.size(); ++k) {
      if (!usable(k)) continue;
      ++folds;
      for (size_t h = 0; h < e[k].size(); ++h) {
        z.push_back(e[k][h] / model.scale[h]);
        magnitude.push_back(std::fabs(z.back()));
      }
    }
    f80 = SmallSampleFactor(0.90, static_cast<double>(folds));
    f95 = SmallSampleFactor(0.975, static_cast<double>(folds));
  }
  if (contributing >= 3) {
    // The quantiles rest on `contributing` folds of serially correlated errors: count
    // H (1 - r) / (1 + r) independent ones per fold, r the lag-1 autocorrelation of the
    // standardised errors within folds (Bartlett's effective sample size for AR(1)).
    double lagged = 0, squares = 0;
    for (size_t i = 1; i < z.size(); ++i)
      if (i % horizon != 0) lagged += z[i] * z[i - 1];
    for (double v : z) squares += v * v;
    const double r = squares > 0 ? std::clamp(lagged / squares, 0.0, 0.999) : 0;
    const double per_fold = std::max(1.0, static_cast<double>(horizon) * (1 - r) / (1 + r));
    f80 = SmallSampleFactor(0.90, static_cast<double>(contributing) * per_fold);
    f95 = SmallSampleFactor(0.975, static_cast<double>(contributing) * per_fold);
  }
  model.samples = z.size();
  if (z.size() < 5) return model;
  const double a80 = Quantile(magnitude, 0.80), a95 = Quantile(magnitude, 0.95);
  model.q025 = f95 * std::min(Quantile(z, 0.025), -a95);
  model.q10 = f80 * std::min(Quantile(z, 0.10), -a80);
  model.q90 = f80 * std::max(Quantile(z, 0.90), a80);
  model.q975 = f95 * std::max(Quantile(z, 0.975), a95);
  // When the errors grew over the history (growth that sped up), the late folds scaled by
  // the early folds' small errors give quantiles of 20-100, applied to a scale that already
  // holds the late errors: bands many times wider than any error the backtest made. With
  // enough folds to have seen the tail, no band reaches past 1.5 times the largest error
  // of any fold at any lead, in units of the common scale (the 80% band to that times
  // the normal's ratio of the two, 1.2816 / 1.96).
  size_t folds = 0;
  double worst = 0;
  for (size_t k = 0; k < e.size(); ++k) {
    if (!usable(k)) continue;
    ++folds;
    for (size_t h = 0; h < e[k].size() && h < model.scale.size(); ++h)
      if (model.scale[h] > 0) worst = std::max(worst, std::fabs(e[k][h]) / model.scale[h]);
  }
  if (folds >= kCapFolds && worst > 0) {
    const double cap95 = 1.5 * worst, cap80 = cap95 * 1.2816 / 1.96;
    model.q025 = std::max(model.q025, -cap95), model.q10 = std::max(model.q10, -cap80);
    model.q90 = std::min(model.q90, cap80), model.q975 = std::min(model.q975, cap95);
  }
  return model;
}

}  // namespace

IntervalModel CalibrateIntervals(const ModelErrors& errors, size_t skip) {
  return CalibrateOn(errors, [skip](size_t k) { return k != skip; });
}

double IntervalScale(const IntervalModel& model, size_t h) {
  h = std::max<size_t>(h, 1);
  const double by_lead = model.extra_by_lead.empty()
                             ? 0
                             : model.extra_by_lead[std::min(h, model.extra_by_lead.size()) - 1];
  const double extra = std::hypot(model.extra_sigma, by_lead);
  if (model.scale.empty()) return extra;
  const size_t horizon = model.scale.size();
  double s = h <= horizon ? model.scale[h - 1]
                          : model.scale.back() *
                                std::pow(static_cast<double>(h) / static_cast<double>(horizon),
                                         model.exponent);
  if (h > horizon && model.rate_sigma > 0)
    s = std::hypot(s, static_cast<double>(h - horizon) * model.rate_sigma);
  return extra > 0 ? std::hypot(s, extra) : s;
}

Coverage CheckCoverage(const ModelErrors& errors) {
  Coverage coverage;
  const size_t folds = errors.errors.size();
  if (folds < 3) return coverage;
  // Each fold judged by bands calibrated without it: with up to kCoverageGroups folds one
  // at a time, with more in that many interleaved groups (fold k in group k mod groups),
  // so the check costs as many calibrations however many folds there are.
  const size_t groups = std::min(folds, kCoverageGroups);
  double inside80 = 0, inside95 = 0, total = 0;
  for (size_t g = 0; g < groups; ++g) {
    const IntervalModel model = CalibrateOn(errors, [&](size_t k) { return k % groups != g; });
    for (size_t k = g; k < folds; k += groups)
      for (size_t h = 0; h < errors.errors[k].size(); ++h) {
        const double s = IntervalScale(model, h + 1);
        const double e = errors.errors[k][h];
        inside80 += e >= model.q10 * s && e <= model.q90 * s;
        inside95 += e >= model.q025 * s && e <= model.q975 * s;
        total += 1;
      }
  }
  coverage.inside80 = inside80 / total;
  coverage.inside95 = inside95 / total;
  return coverage;
}

}  // namespace sfsg
