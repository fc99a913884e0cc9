#include "predictor/forecast.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <functional>

#include "generator/util/strings.h"
#include "generator/util/units.h"

namespace sfsg {
namespace {

constexpr size_t kMaxPathSteps = 200000;
constexpr double kYear = 365 * 86400.0;

std::string Days(double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f days", seconds / 86400);
  return buf;
}

bool IsLevelColumn(const std::string& column) {
  return column == "used_bytes" || column == "files" || column == "capacity_bytes";
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return 0;
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

void AddQualityWarnings(ForecastResult& r) {
  const SeriesQuality& q = r.quality;
  auto warn = [&](std::string text) { r.warnings.push_back(r.column + ": " + std::move(text)); };
  if (q.duplicates > 0)
    warn(std::to_string(q.duplicates) + " duplicate timestamps (the last sample of each kept)");
  if (q.empty_cells > 0) warn(std::to_string(q.empty_cells) + " empty cells skipped");
  if (q.counter_resets > q.implausible_resets)
    warn(std::to_string(q.counter_resets - q.implausible_resets) +
         " counter resets (counted from zero)");
  if (q.implausible_resets > 0)
    warn(std::to_string(q.implausible_resets) +
         " counter restarts with more than their interval could hold (over 10 times the "
         "fastest rate between other samples: another device's counter?): those intervals "
         "left out");
  if (q.gaps > 0) {
    char buf[160];
    std::snprintf(buf, sizeof(buf),
                  "%zu gaps longer than twice the %.0f s median step (longest %.0f s)", q.gaps,
                  q.median_step_s, q.longest_gap_s);
    warn(buf);
  }
  if (q.irregular) {
    char buf[120];
    std::snprintf(buf, sizeof(buf), "irregular sampling (median jitter %.0f%% of the step)",
                  100 * q.step_jitter);
    warn(buf);
  }
  const size_t n = r.grid.values.size();
  if (r.grid.filled > 0) {
    warn(std::to_string(r.grid.filled) + " of " + std::to_string(n) +
         " grid points had no sample and were interpolated");
    if (r.grid.filled * 5 > n) r.low_confidence = true;
  }
}

// Each model's backtest scores; with `coverage`, also its out-of-sample band coverage
// (the costly part: folds^2 calibrations per model).
// Compounding shows only as curvature: at the rates where it changes a plan (a few percent
// a week; at 1% the curve and its line differ by under 1% at a 90-day date) a curve
// departs from its chord by about (g T)^2 / 8 of the level over a span T. At 3% a week
// that is 0.05% over two weeks, below a scrape's ordinary noise (0.1%), and 0.2% over four
// weeks, above it; four whole weeks also average out a weekly swing, which over a shorter
// span reads as curvature too. On 10-14 days of linear growth compound won 4 backtests of
// 28 on the noise of its folds, scored 5 days ahead, and was extrapolated ten times that
// far (dates 17-39% early, outside the 95% band); on 21-30 days never.
constexpr double kMinCompoundSpanS = 28 * 86400.0;

void Summarize(const std::vector<ModelErrors>& errors, const ForecastOptions& options,
               size_t horizon, bool stepped, bool coverage, ForecastResult& r) {
  const double span_s =
      static_cast<double>(r.grid.values.empty() ? 0 : r.grid.values.size() - 1) * r.grid.step_s;
  r.backtest.horizon_steps = horizon;
  r.backtest.lead_s = static_cast<double>(horizon) * r.grid.step_s;
  r.backtest.scores.clear();
  for (const ModelErrors& e : errors) {
    ModelScore s;
    s.model = e.model;
    s.applies = e.applies && !e.mase.empty();
    s.baseline = IsBaseline(e.model);
    s.candidate = std::find(options.candidates.begin(), options.candidates.end(), e.model) !=
                      options.candidates.end() &&
                  !(stepped && e.model == ModelKind::kPredictLinear) &&
                  !(e.model == ModelKind::kCompound && span_s < kMinCompoundSpanS);
    if (s.applies) {
      s.mase = Mean(e.mase);
      s.smape = Mean(e.smape);
      const Coverage c = coverage ? CheckCoverage(e) : Coverage();
      s.coverage80 = c.inside80;
      s.coverage95 = c.inside95;
      r.backtest.folds = e.mase.size();
    }
    r.backtest.scores.push_back(s);
  }
}

}  // namespace

Band ForecastResult::At(double time_s) const {
  const Band origin{last_value, last_value, last_value, last_value, last_value};
  if (path.empty() || time_s <= origin_s) return origin;
  const double position = (time_s - origin_s) / grid.step_s - 1;  // index into path
  if (position >= static_cast<double>(path.size() - 1)) return path.back();
  // Before the first step the path starts from the last observation.
  const size_t below = position < 0 ? 0 : static_cast<size_t>(std::floor(position));
  const Band& a = position < 0 ? origin : path[below];
  const Band& b = path[position < 0 ? 0 : below + 1];
  const double w = position < 0 ? position + 1 : position - std::floor(position);
  auto mix = [w](double x, double y) { return x * (1 - w) + y * w; };
  return {mix(a.expected, b.expected), mix(a.lower80, b.lower80), mix(a.upper80, b.upper80),
          mix(a.lower95, b.lower95), mix(a.upper95, b.upper95)};
}

Band ForecastResult::PeakUntil(double time_s) const {
  Band peak = At(std::min(time_s, origin_s + grid.step_s));
  for (size_t i = 0; i < path.size(); ++i) {
    if (origin_s + static_cast<double>(i + 1) * grid.step_s > time_s) break;
    const Band& p = path[i];
    peak = {std::max(peak.expected, p.expected), std::max(peak.lower80, p.lower80),
            std::max(peak.upper80, p.upper80), std::max(peak.lower95, p.lower95),
            std::max(peak.upper95, p.upper95)};
  }
  return peak;
}

namespace {

// The planning horizon in grid steps (at least 1).
size_t HorizonSteps(double horizon_s, double step) {
  return std::max<size_t>(1, static_cast<size_t>(std::ceil(horizon_s / step - 1e-9)));
}

// The backtest's shape: lead times scored, folds, the training minimum for the season.
// The lead time is the planning horizon, or a third of the history when that is shorter.
BacktestSetup MakeSetup(const ForecastOptions& options, size_t n, double step, size_t period,
                        const std::vector<LevelShift>& shifts,
                        size_t lead_cap = static_cast<size_t>(-1)) {
  const size_t horizon_steps = HorizonSteps(options.horizon_s, step);
  BacktestSetup setup;
  setup.horizon = options.backtest_horizon_s > 0
                      ? static_cast<size_t>(std::ceil(options.backtest_horizon_s / step))
                      : std::min(horizon_steps, std::max<size_t>(1, n / 3));
  setup.horizon =
      std::clamp<size_t>(std::min(setup.horizon, lead_cap), 1, std::max<size_t>(1, n / 2));
  setup.folds = options.folds;
  setup.shifts = shifts;
  setup.model.seed = options.seed;
  setup.model.season = period;
  setup.model.step_s = step;
  setup.model.linear_window =
      std::max<size_t>(2, options.linear_window_s > 0
                              ? static_cast<size_t>(std::llround(options.linear_window_s / step))
                              : setup.horizon);
  // A lead shorter than the horizon cannot validate recent_linear's window (the segment
  // since the last break) that far ahead: its slope then rests on at least the horizon's
  // worth of history, as predict_linear(v[h], h) extrapolates h from a window of h.
  if (setup.horizon < horizon_steps) setup.model.min_recent_window = horizon_steps;
  setup.min_train =
      std::max<size_t>({std::min<size_t>(10, n / 2), n / 5, period > 1 ? 2 * period + 2 : 0});
  if (setup.min_train + setup.horizon > n) setup.min_train = std::min<size_t>(10, n / 2);
  return setup;
}

// The weighted mean of some models' forecasts, scored on the same folds: with weights
// summing to 1, actual - sum w f = sum w (actual - f), so the errors mix alike.
ModelErrors Blend(const std::vector<ModelErrors>& errors, ModelKind kind,
                  const std::vector<std::pair<size_t, double>>& parts) {
  ModelErrors out;
  out.model = kind;
  const ModelErrors& first = errors[parts.front().first];
  out.applies = true;
  out.origins = first.origins;
  out.actual = first.actual;
  out.scale = first.scale;
  for (size_t k = 0; k < first.errors.size(); ++k) {
    std::vector<double> e(first.errors[k].size(), 0.0);
    double abs_sum = 0, smape_sum = 0;
    for (size_t h = 0; h < e.size(); ++h) {
      for (const auto& [i, w] : parts) e[h] += w * errors[i].errors[k][h];
      abs_sum += std::fabs(e[h]);
      const double forecast = first.actual[k][h] - e[h];
      const double denominator = std::fabs(first.actual[k][h]) + std::fabs(forecast);
      smape_sum += denominator > 0 ? 2 * std::fabs(e[h]) / denominator : 0;
    }
    out.mase.push_back(abs_sum / static_cast<double>(e.size()) / first.scale[k]);
    out.smape.push_back(100 * smape_sum / static_cast<double>(e.size()));
    out.errors.push_back(std::move(e));
  }
  return out;
}

// The mean of the three best candidates (by mean MASE), scored on the same folds. When the
// lead scored is shorter than the horizon (lead_short), predict_linear, whose window is
// that lead, is left out of the mean: a line over less than the horizon, extrapolated
// over the whole horizon, untested that far ahead (it stays a candidate on its own).
ModelErrors Combine(const std::vector<ModelErrors>& errors, const ForecastResult& r,
                    bool lead_short, std::vector<ModelKind>& members) {
  std::vector<size_t> order;
  for (size_t i = 0; i < errors.size(); ++i) {
    const ModelScore& s = r.backtest.scores[i];
    if (s.applies && s.candidate && s.model != ModelKind::kCombination &&
        !(lead_short && s.model == ModelKind::kPredictLinear))
      order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return r.backtest.scores[a].mase < r.backtest.scores[b].mase;
  });
  if (order.size() < 3) {
    ModelErrors out;
    out.model = ModelKind::kCombination;
    return out;
  }
  order.resize(3);
  members.clear();
  std::vector<std::pair<size_t, double>> parts;
  for (size_t i : order) {
    members.push_back(errors[i].model);
    parts.emplace_back(i, 1.0 / 3);
  }
  return Blend(errors, ModelKind::kCombination, parts);
}

// Fewer fitted parameters first: the last value, then the value a season earlier, then
// the line through the first and last points; the rest in kAllModels order.
int Parameters(ModelKind kind) {
  return kind == ModelKind::kNaive ? 0 : kind == ModelKind::kSeasonalNaive ? 1 : 2;
}

// The candidate with the lowest mean MASE over the folds `use` accepts; ties (equal to
// within rounding, e.g. drift and naive on a history that ends where it starts) go to the
// model with fewer parameters, then to the one listed first. -1 when none.
enum class Pool { kCandidates, kBaselines, kCandidateBaselines };
template <typename Accept>
int BestCandidate(const std::vector<ModelErrors>& errors, const ForecastResult& r,
                  const Accept& use, Pool pool = Pool::kCandidates) {
  int chosen = -1;
  double best = 0;
  for (size_t i = 0; i < errors.size(); ++i) {
    const ModelScore& s = r.backtest.scores[i];
    const bool eligible = pool == Pool::kCandidates  ? s.candidate
                          : pool == Pool::kBaselines ? s.baseline
                                                     : s.baseline && s.candidate;
    if (!s.applies || !eligible) continue;
    double sum = 0, count = 0;
    for (size_t k = 0; k < errors[i].mase.size(); ++k)
      if (use(k)) sum += errors[i].mase[k], count += 1;
    if (count == 0) continue;
    const double mase = sum / count;
    const bool tie = chosen >= 0 && std::fabs(mase - best) <= 1e-9 * std::fabs(best);
    if (chosen < 0 || (tie ? Parameters(s.model) < Parameters(errors[chosen].model) : mase < best))
      chosen = static_cast<int>(i), best = tie ? best : mase;
  }
  return chosen;
}

// The chosen model (or the mean of the combined ones) refitted on the whole history.
std::vector<double> FitPath(ModelKind kind, const std::vector<double>& adjusted,
                            const std::vector<double>& raw, size_t steps,
                            const ModelOptions& model_options,
                            const std::vector<ModelKind>& combined, ModelFit* fit) {
  if (kind == ModelKind::kPredictLinear)
    return FitAndForecast(kind, raw, steps, model_options, fit);
  if (kind != ModelKind::kCombination)
    return FitAndForecast(kind, adjusted, steps, model_options, fit);
  std::vector<double> out(steps, 0.0);
  for (ModelKind m : combined) {
    const std::vector<double> path = FitPath(m, adjusted, raw, steps, model_options, {}, nullptr);
    for (size_t h = 0; h < steps; ++h) out[h] += path[h] / static_cast<double>(combined.size());
  }
  if (fit) *fit = ModelFit();
  return out;
}

// The shrinkage toward the baseline: the weight in kShrinkWeights whose blend
// (1 - w) chosen + w baseline has the lowest mean MASE over the folds `use` accepts
// (ties to the smaller weight).
constexpr double kShrinkWeights[] = {0, 0.25, 0.5, 0.75};

double FoldBlendMase(const ModelErrors& a, const ModelErrors& b, double w, size_t k) {
  double sum = 0;
  for (size_t h = 0; h < a.errors[k].size(); ++h)
    sum += std::fabs((1 - w) * a.errors[k][h] + w * b.errors[k][h]);
  return sum / static_cast<double>(a.errors[k].size()) / a.scale[k];
}

// Compound growth is not shrunk: the weight is scored at the lead, and a blend of a curve
// and a line drifts from both beyond it, by a gap that compounds (a quarter of a line drew
// a 231-day fill out to 256 days from a 60-day lead).
template <typename Accept>
double ShrinkWeight(const ModelErrors& chosen, const ModelErrors& baseline, const Accept& use) {
  if (&chosen == &baseline || chosen.model == ModelKind::kCompound) return 0;
  double best_w = 0, best = 0;
  bool first = true;
  for (double w : kShrinkWeights) {
    double sum = 0, count = 0;
    for (size_t k = 0; k < chosen.errors.size(); ++k)
      if (use(k)) sum += FoldBlendMase(chosen, baseline, w, k), count += 1;
    if (count == 0) return 0;
    if (first || sum / count < best * (1 - 1e-9)) best = sum / count, best_w = w;
    first = false;
  }
  return best_w;
}

// The standard error of the growth rate per step: the spread of the rates over blocks of
// the history (a week, else a day, else a fifth of the history: the longest that gives
// five blocks, counted back from the last point), over the square root of their number.
// Blocks take in the bursts, cycles and weekly clean-ups within them, which one-step
// changes would count as independent.
double RateStandardError(const std::vector<double>& y, double step_s) {
  const size_t n = y.size();
  if (n < 11 || !(step_s > 0)) return 0;
  const size_t per_day = static_cast<size_t>(std::llround(config::kDaySeconds / step_s));
  size_t block = (n - 1) / 5;
  for (size_t days : {7, 1})
    if (per_day * days >= 2 && (n - 1) / (per_day * days) >= 5) {
      block = per_day * days;
      break;
    }
  const size_t k = (n - 1) / block;
  std::vector<double> rates;
  for (size_t j = 0; j < k; ++j) {
    const size_t end = n - 1 - j * block;
    rates.push_back((y[end] - y[end - block]) / static_cast<double>(block));
  }
  const double mean = Mean(rates);
  double ss = 0;
  for (double r : rates) ss += (r - mean) * (r - mean);
  return std::sqrt(ss / static_cast<double>(k - 1) / static_cast<double>(k));
}

// Bands when no backtest fold could score the model: the in-sample spread of one-step
// changes about their mean, growing as sqrt(h) (a random walk with drift), widened by
// the Student-t factor for the points it rests on.
IntervalModel FallbackIntervals(const std::vector<double>& y) {
  IntervalModel iv;
  std::vector<double> diff;
  for (size_t i = 1; i < y.size(); ++i) diff.push_back(y[i] - y[i - 1]);
  const double mean = Mean(diff);
  double ss = 0;
  for (double d : diff) ss += (d - mean) * (d - mean);
  const double sd = diff.size() > 1 ? std::sqrt(ss / static_cast<double>(diff.size() - 1)) : 0;
  if (!(sd > 0)) return iv;
  iv.scale = {sd};
  iv.exponent = 0.5;
  const double k = static_cast<double>(diff.size());
  const double v = std::max(k - 1, 2.0);
  auto t = [v](double z) {
    const double z3 = z * z * z, z5 = z3 * z * z;
    return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v);
  };
  iv.q975 = t(1.959964), iv.q025 = -iv.q975;
  iv.q90 = t(1.281552), iv.q10 = -iv.q90;
  return iv;
}

// The chosen model refitted on the whole (adjusted) history, projected to the search
// limit with its bands; non-negative series keep non-negative bands.
void Project(const std::vector<double>& adjusted, const std::vector<LevelShift>& shifts,
             const ForecastOptions& options, const ModelOptions& model_options, ForecastResult& r) {
  const double step = r.grid.step_s;
  const size_t horizon_steps = HorizonSteps(options.horizon_s, step);
  double search_s =
      options.search_s > 0 ? options.search_s : std::max(4 * options.horizon_s, kYear);
  search_s = std::max(search_s, options.horizon_s);
  const size_t steps = std::clamp<size_t>(static_cast<size_t>(std::ceil(search_s / step)),
                                          horizon_steps, std::max(horizon_steps, kMaxPathSteps));
  const std::vector<double>& raw = r.grid.values;
  const double w = r.backtest.shrink_weight;
  const auto fit = [&](const std::vector<double>& series, ModelFit* model_fit) {
    std::vector<double> path =
        FitPath(r.model, series, raw, steps, model_options, r.backtest.combined, model_fit);
    if (w > 0) {
      const std::vector<double> toward = FitPath(r.backtest.shrink_toward, series, raw, steps,
                                                 model_options, r.backtest.combined, nullptr);
      for (size_t h = 0; h < steps; ++h) path[h] = (1 - w) * path[h] + w * toward[h];
    }
    return path;
  };
  const std::vector<double> expected = fit(adjusted, &r.fit);
  // recent_linear over the segment since its break, without the floor a short lead puts
  // on its window. Not beside compound: that is the recent rate already, compounded, and a
  // line under a curve would read as a change of rate.
  ModelOptions since_break = model_options;
  since_break.min_recent_window = 0;
  if (ModelApplies(ModelKind::kRecentLinear, adjusted.size(), since_break) &&
      r.model != ModelKind::kCompound &&
      (r.model != ModelKind::kRecentLinear ||
       since_break.min_recent_window != model_options.min_recent_window))
    r.recent_path =
        FitPath(ModelKind::kRecentLinear, adjusted, raw, steps, since_break, {}, nullptr);
  // Each lasting step's size error carried through the fit: the path refitted with the
  // step one standard error larger, its difference per lead added to the bands.
  std::vector<double> step_variance(steps, 0.0);
  for (size_t k = 0; k < shifts.size(); ++k) {
    if (shifts[k].kind == ShiftKind::kRetention || !(shifts[k].size_stderr > 0)) continue;
    std::vector<LevelShift> moved = shifts;
    moved[k].size += shifts[k].size_stderr;
    const std::vector<double> path = fit(RemoveLevelShifts(raw, moved), nullptr);
    for (size_t h = 0; h < steps; ++h)
      step_variance[h] += (path[h] - expected[h]) * (path[h] - expected[h]);
  }
  // Beyond the lead scored, the models the backtest could not tell apart (within a quarter
  // of the best single model's MASE: a combination's members, or the models it scored
  // alike) disagree by more than any error it saw. How much more is added, on the side
  // each lies: their RMS distance from the path beyond their distance at that lead. A
  // curve and a line that score alike over 40 days part over 200 (compounding at 2% a
  // week, 120 days of history: a 95% band of 255-343 days for a truth of 227); a curve
  // above the lines widens the upper side only.
  const size_t lead = std::min(r.backtest.horizon_steps, steps);
  double best_mase = 0;
  for (const ModelScore& s : r.backtest.scores)
    if (s.applies && s.candidate && s.model != ModelKind::kCombination && s.mase > 0 &&
        (best_mase == 0 || s.mase < best_mase))
      best_mase = s.mase;
  std::vector<double> above(steps, 0.0), below(steps, 0.0);
  if (lead > 0 && best_mase > 0) {
    size_t models = 0;
    for (const ModelScore& s : r.backtest.scores) {
      if (!s.applies || !s.candidate || s.model == r.model || s.model == ModelKind::kCombination ||
          !(s.mase <= config::kNearTieMase * best_mase))
        continue;
      const std::vector<double> other =
          FitPath(s.model, adjusted, raw, steps, model_options, {}, nullptr);
      const double at_lead = std::fabs(other[lead - 1] - expected[lead - 1]);
      for (size_t h = lead; h < steps; ++h) {
        const double d = std::max(0.0, std::fabs(other[h] - expected[h]) - at_lead);
        (other[h] > expected[h] ? above : below)[h] += d * d;
      }
      ++models;
    }
    for (size_t h = lead; h < steps && models > 0; ++h) {
      above[h] = std::sqrt(above[h] / static_cast<double>(models));
      below[h] = std::sqrt(below[h] / static_cast<double>(models));
    }
  }
  if (std::any_of(step_variance.begin(), step_variance.end(), [](double v) { return v > 0; })) {
    r.intervals.extra_by_lead.resize(steps);
    for (size_t h = 0; h < steps; ++h) r.intervals.extra_by_lead[h] = std::sqrt(step_variance[h]);
  }
  const bool non_negative = *std::min_element(raw.begin(), raw.end()) >= 0;
  auto floor_at_zero = [&](double v) { return non_negative ? std::max(v, 0.0) : v; };
  r.path.resize(steps);
  const IntervalModel& iv = r.intervals;
  for (size_t h = 0; h < steps; ++h) {
    const double s = IntervalScale(iv, h + 1);
    const double down = std::hypot(s, below[h]), up = std::hypot(s, above[h]);
    const double e = expected[h];
    r.path[h] = {floor_at_zero(e), floor_at_zero(e + iv.q10 * down), floor_at_zero(e + iv.q90 * up),
                 floor_at_zero(e + iv.q025 * down), floor_at_zero(e + iv.q975 * up)};
  }
}

void AddConfidenceWarnings(const ForecastOptions& options, ForecastResult& r) {
  const size_t n = r.grid.values.size();
  const double history_s = r.grid.step_s * static_cast<double>(n - 1);
  if (n < 30) {
    r.low_confidence = true;
    r.warnings.push_back(r.column + ": only " + std::to_string(n) + " points");
  }
  if (r.backtest.folds < 3) {
    r.low_confidence = true;
    r.warnings.push_back(r.column + ": only " + std::to_string(r.backtest.folds) +
                         " backtest folds; intervals are rough");
  }
  if (options.horizon_s > 3 * history_s) {
    r.low_confidence = true;
    r.warnings.push_back(r.column + ": the horizon (" + Days(options.horizon_s) +
                         ") is more than 3 times the history (" + Days(history_s) + ")");
  } else if (2 * options.horizon_s > history_s) {
    // Under the M3 and M4 competitions' least history (about twice the horizon), which
    // model does best at the horizon is not measured: scripts/bench-forecast keeps such
    // cases apart, where the choice lost to a line drawn by hand up to 1.7 times over.
    r.warnings.push_back(r.column + ": the history (" + Days(history_s) +
                         ") is under twice the horizon (" + Days(options.horizon_s) +
                         "); the model was chosen on its errors " +
                         Days(r.grid.step_s * static_cast<double>(r.backtest.horizon_steps)) +
                         " ahead, and at the horizon it is not measured");
  }
}

// "usage.csv: used_bytes", the prefix of a message about a series.
std::string SeriesWhere(const Series& series) {
  return series.source.empty() ? series.name : series.source + ": " + series.name;
}

std::string DateOf(double unix_s);

// The detected steps with the declared events put in (a declared event replaces a
// detection whose transition reaches within 2 grid steps of it). A declared day is searched for its
// largest change the event's way (up for an import, down for a clean-up or retention, either for a
// migration); an event outside the series, or one the series does not show, is said.
std::vector<LevelShift> FindShifts(const std::vector<double>& raw, const RegularGrid& grid,
                                   bool detect, const std::vector<DeclaredEvent>& events,
                                   const std::string& name, std::vector<std::string>& warnings) {
  // Found and sized on the series with its daily or weekly swing taken out (a 0.2 TiB
  // weekly swing hid a 1.5 TiB import); the steps then come out of the series as observed.
  // (Only when something is searched: with neither detection nor events, no work.)
  const std::vector<double> level =
      detect || !events.empty() ? WithoutSeasonalChanges(raw, grid.step_s) : raw;
  DetectionNotes notes;
  std::vector<LevelShift> shifts =
      detect ? DetectLevelShifts(level, &notes, config::kDaySeconds / grid.step_s)
             : std::vector<LevelShift>();
  const size_t n = level.size();
  if (notes.burst_steps > 0)
    warnings.push_back(name + ": " + std::to_string(notes.burst_steps) +
                       " rises of less than two days' growth are bursts of it, kept in the "
                       "series (not modelled as imports)");
  if (notes.growth_steps > 0)
    warnings.push_back(name + ": " + std::to_string(notes.growth_steps) +
                       " rises recur: they are how it grows, kept in the series (not modelled "
                       "as imports)");
  const auto date_at = [&](size_t i) {
    return DateOf(grid.start_s + grid.step_s * static_cast<double>(i));
  };
  if (notes.run_at_end) {
    const auto [first, last] = *notes.run_at_end;
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%+.4g", level[last] - level[first - 1]);
    warnings.push_back(name + ": the last " + std::to_string(n - first) +
                       " points change faster than before (" + buf + " since " +
                       date_at(first - 1) +
                       "): a migration still in progress or a change in the growth rate, not "
                       "modelled as a step; --event DATE=migration declares a migration");
  }
  const auto first_at_or_after = [&](double t) {
    return std::ceil((t - grid.start_s) / grid.step_s - 1e-9);
  };
  for (const DeclaredEvent& e : events) {
    const double position = first_at_or_after(e.time_s);
    const double last =
        std::min(first_at_or_after(e.time_s + e.within_s), static_cast<double>(n) - 1);
    if (position < 1 || position >= static_cast<double>(n)) {
      warnings.push_back(
          name + ": --event " + e.text +
          " ignored: " + (position < 1 ? "not after the first point (" : "after the last point (") +
          DateOf(position < 1 ? grid.start_s
                              : grid.start_s + grid.step_s * static_cast<double>(n - 1)) +
          ")");
      continue;
    }
    const double way = e.kind == ShiftKind::kImport ? 1 : e.kind == ShiftKind::kMigration ? 0 : -1;
    size_t index = static_cast<size_t>(position);
    double largest = -1;
    for (size_t i = index; static_cast<double>(i) <= last; ++i) {
      const double change = level[i] - level[i - 1];
      const double score = way == 0 ? std::fabs(change) : way * change;
      if (score > largest) largest = score, index = i;
    }
    // A detection whose transition (a migration's ramp) reaches within 2 steps of the
    // event is the same step: the event takes its place and its extent.
    size_t begin = index;
    std::erase_if(shifts, [&](const LevelShift& s) {
      if (s.declared || index + 2 < s.begin || index > s.index + 2) return false;
      begin = s.begin, index = s.index;
      return true;
    });
    // Within the unconfirmed run at the end: a declared migration is that run.
    if (notes.run_at_end && e.kind == ShiftKind::kMigration &&
        index + 2 >= notes.run_at_end->first && index <= notes.run_at_end->second + 2)
      begin = notes.run_at_end->first, index = notes.run_at_end->second;
    LevelShift shift;
    shift.index = index;
    shift.begin = begin;
    const StepEstimate estimate = EstimateStep(level, index, 0, n, begin);
    shift.size = estimate.size;
    shift.size_stderr = estimate.stderr_;
    shift.kind = e.kind;
    shift.declared = true;
    if (way * estimate.size < 0 || !(std::fabs(estimate.size) > 2 * estimate.stderr_)) {
      char buf[160];
      std::snprintf(buf, sizeof(buf), "%+.4g +- %.2g", estimate.size, estimate.stderr_);
      warnings.push_back(name + ": --event " + e.text + ": the series shows " +
                         (!(std::fabs(estimate.size) > 2 * estimate.stderr_)
                              ? std::string("no step out of the noise")
                              : std::string(estimate.size < 0 ? "a drop" : "a rise")) +
                         " at " + DateOf(grid.start_s + grid.step_s * static_cast<double>(index)) +
                         " (" + buf + "); modelled as declared");
    }
    shifts.push_back(shift);
  }
  std::sort(shifts.begin(), shifts.end(),
            [](const LevelShift& a, const LevelShift& b) { return a.index < b.index; });
  return shifts;
}

std::string DateOf(double unix_s) { return FormatUtc(unix_s, "%Y-%m-%d %H:%M"); }

// A level that jumps away for a few points and comes back (FindExcursions) is no usage
// to forecast: the points become the line between their neighbours, and are said.
void ReplaceExcursions(RegularGrid& grid, const Series& series,
                       std::vector<std::string>& warnings) {
  std::vector<double>& y = grid.values;
  const std::vector<std::pair<size_t, size_t>> runs =
      FindExcursions(WithoutSeasonalChanges(y, grid.step_s), grid.step_s);
  if (runs.empty()) return;
  const auto value = [&](double v) {
    return series.unit == "bytes" ? FormatBytes(v) : StringPrintf("%.4g", v);
  };
  std::string where;
  size_t points = 0;
  for (size_t k = 0; k < runs.size(); ++k) {
    const auto [first, last] = runs[k];
    if (k < 3)
      where += (k > 0 ? ", " : "") +
               DateOf(grid.start_s + grid.step_s * static_cast<double>(first)) + " (" +
               value(y[first]) + ")";
    const double before = y[first - 1], after = y[last + 1];
    const double span = static_cast<double>(last - first + 2);
    for (size_t j = first; j <= last; ++j, ++points)
      y[j] = before + (after - before) * static_cast<double>(j - first + 1) / span;
  }
  if (runs.size() > 3) where += StringPrintf(" and %zu more", runs.size() - 3);
  warnings.push_back(
      series.name + ": " +
      (runs.size() == 1 ? std::string("a run of ") : std::to_string(runs.size()) + " runs of ") +
      "1-3 samples (" + std::to_string(points) +
      " in all) far from the level and back, the points either side agreeing, at " + where +
      ": outliers (a scrape glitch such as a 0 from a stale mount, heavy-tailed noise, or data "
      "held briefly); replaced by the line between their neighbours");
}

// Samples of 0 at the very end of a level series that was above 0: a failed scrape (a
// stale or unmounted filesystem) more likely than a volume emptied at its last sample;
// left out (at most 3), and said.
void DropTrailingZeros(RegularGrid& grid, const std::string& name,
                       std::vector<std::string>& warnings) {
  std::vector<double>& y = grid.values;
  size_t zeros = 0;
  while (zeros < 3 && zeros + 1 < y.size() && y[y.size() - 1 - zeros] == 0) ++zeros;
  if (zeros == 0 || !(y[y.size() - 1 - zeros] > 0)) return;
  const double last = grid.start_s + grid.step_s * static_cast<double>(y.size() - 1);
  y.resize(y.size() - zeros);
  warnings.push_back(
      name + ": the last " +
      (zeros == 1 ? std::string("sample reads") : std::to_string(zeros) + " samples read") +
      " 0 (to " + DateOf(last) +
      ") after a level above 0: taken as a failed scrape and left out; if the "
      "volume was emptied, the next samples will show it");
}

}  // namespace

Result<DeclaredEvent> ParseEvent(std::string_view text) {
  const size_t eq = text.rfind('=');
  if (eq == std::string_view::npos)
    return Error::Usage("--event '" + std::string(text) +
                        "': expected DATE=KIND, e.g. 2024-02-14=import");
  auto time = ParseTimestamp(text.substr(0, eq), "--event '" + std::string(text) + "'");
  if (!time) return Error::Usage(time.error().message);
  DeclaredEvent e;
  e.time_s = *time;
  e.text = std::string(text);
  const std::string_view date = text.substr(0, eq);
  if (date.size() == 10 && date[4] == '-' && date[7] == '-') e.within_s = 86400;
  const std::string_view kind = text.substr(eq + 1);
  if (kind == "import")
    e.kind = ShiftKind::kImport;
  else if (kind == "migration")
    e.kind = ShiftKind::kMigration;
  else if (kind == "cleanup")
    e.kind = ShiftKind::kCleanup;
  else if (kind == "retention")
    e.kind = ShiftKind::kRetention;
  else
    return Error::Usage("--event '" + std::string(text) + "': unknown kind '" + std::string(kind) +
                        "' (use import, migration, cleanup, retention)");
  return e;
}

Result<ForecastResult> ForecastSeries(const Series& series, const ForecastOptions& options) {
  if (!(options.horizon_s > 0)) return Error::Usage("forecast horizon must be positive");
  if (series.time_s.size() < 2)
    return Error::BadInput(SeriesWhere(series) + ": fewer than 2 points; nothing to forecast");
  ForecastResult r;
  r.column = series.name;
  r.unit = series.unit;
  r.quality = series.quality;
  r.horizon_s = options.horizon_s;
  // The grid is never finer than the horizon / 50,000, so the path stays small.
  r.grid = ToRegularGrid(series, options.max_points, options.horizon_s / 50000);
  const bool detect = options.level_shifts == LevelShiftMode::kOn ||
                      (options.level_shifts == LevelShiftMode::kAuto && IsLevelColumn(series.name));
  if (detect) DropTrailingZeros(r.grid, series.name, r.warnings);
  const size_t n = r.grid.values.size();
  const double step = r.grid.step_s;
  if (n < 10 && series.time_s.size() >= 10 &&
      options.horizon_s / 50000 > series.quality.median_step_s) {
    // The horizon, not the series, coarsened the grid below 10 points.
    char buf[240];
    std::snprintf(buf, sizeof(buf),
                  "--horizon: %.0f days makes the grid's step %.0f s (the horizon / 50,000), "
                  "which leaves %zu points of the series's %zu samples; at least 10 are needed "
                  "(a horizon that long is beyond what this history can say)",
                  options.horizon_s / config::kDaySeconds, step, n, series.time_s.size());
    return Error::Usage(buf);
  }
  if (n < 10) {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  ": %zu points at a %.0f s step (%zu samples over %.0f s); at least 10 are "
                  "needed for a forecast",
                  n, step, series.time_s.size(), series.time_s.back() - series.time_s.front());
    return Error::BadInput(SeriesWhere(series) + buf);
  }
  AddQualityWarnings(r);
  if (detect) ReplaceExcursions(r.grid, series, r.warnings);
  const std::vector<double>& raw = r.grid.values;
  const std::vector<LevelShift> shifts =
      FindShifts(raw, r.grid, detect, options.events, series.name, r.warnings);
  const std::vector<double> adjusted = RemoveLevelShifts(raw, shifts);
  for (const LevelShift& s : shifts)
    r.level_shifts.push_back(
        {r.grid.start_s + static_cast<double>(s.index) * step, s.size, s.kind, s.declared});
  // A lasting step too close to the end: its size rests on a few points.
  for (const LevelShift& s : shifts) {
    if (s.kind == ShiftKind::kRetention) continue;
    const size_t after = n - s.index;
    if (after < std::max<size_t>(5, n / 10)) {
      r.low_confidence = true;
      r.warnings.push_back(series.name + ": only " + std::to_string(after) +
                           (after == 1 ? " point" : " points") + " after the " +
                           ShiftKindName(s.kind) + " on " +
                           DateOf(r.grid.start_s + static_cast<double>(s.index) * step) +
                           "; the level after it is uncertain and the bands are rough");
    }
  }
  r.seasonality = DetectSeasonality(adjusted, step);
  BacktestSetup setup = MakeSetup(options, n, step, r.seasonality.period, shifts);
  // Every test window that far ahead holds a modelled step: score a shorter lead (halved
  // until some window is clear) rather than no plan.
  if (const size_t wanted = setup.horizon; FoldOrigins(n, setup).empty() && !shifts.empty()) {
    for (size_t cap = wanted / 2; cap >= 1 && FoldOrigins(n, setup).empty(); cap /= 2)
      setup = MakeSetup(options, n, step, r.seasonality.period, shifts, cap);
    if (setup.horizon < wanted && !FoldOrigins(n, setup).empty())
      r.warnings.push_back(series.name + ": every backtest window " + std::to_string(wanted) +
                           " steps ahead holds a level step; scored " +
                           std::to_string(setup.horizon) + " steps ahead instead");
  }
  if (FoldOrigins(n, setup).empty() && r.seasonality.period > 1) {
    r.warnings.push_back(series.name + ": " + r.seasonality.name +
                         " seasonality ignored: too little history to backtest it");
    r.seasonality = Seasonality();
    setup = MakeSetup(options, n, step, 1, shifts);
  }
  const bool stepped = std::any_of(shifts.begin(), shifts.end(), [](const LevelShift& s) {
    return s.kind != ShiftKind::kRetention;
  });
  std::vector<ModelKind> models;
  for (ModelKind m : kAllModels)
    if (m != ModelKind::kCombination) models.push_back(m);
  std::vector<ModelErrors> errors = RunBacktest(raw, setup, models);
  // Scores in kAllModels order, the combination in its place.
  std::vector<ModelErrors> ordered;
  for (ModelKind m : kAllModels) {
    if (m == ModelKind::kCombination) {
      ModelErrors placeholder;
      placeholder.model = m;
      ordered.push_back(std::move(placeholder));
      continue;
    }
    for (ModelErrors& e : errors)
      if (e.model == m) ordered.push_back(std::move(e));
  }
  Summarize(ordered, options, setup.horizon, stepped, false, r);
  const bool lead_short = setup.horizon < HorizonSteps(options.horizon_s, step);
  for (size_t i = 0; i < ordered.size(); ++i)
    if (ordered[i].model == ModelKind::kCombination) {
      ordered[i] = Combine(ordered, r, lead_short, r.backtest.combined);
      if (!ordered[i].applies) r.backtest.combined.clear();
    }
  Summarize(ordered, options, setup.horizon, stepped, true, r);
  const auto all = [](size_t) { return true; };
  int chosen = BestCandidate(ordered, r, all);
  if (chosen < 0)
    return Error::BadInput(
        SeriesWhere(series) + ": no model could be backtested on " + std::to_string(n) + " points" +
        (stepped && FoldOrigins(n, setup).empty()
             ? " (every backtest window " + std::to_string(setup.horizon) +
                   " steps ahead holds one of the " + std::to_string(shifts.size()) +
                   " level steps; try a shorter --horizon or --level-shifts off)"
             : ""));
  r.backtest.lowest_mase_model = ordered[chosen].model;
  const int baseline = BestCandidate(ordered, r, all, Pool::kBaselines);
  if (baseline >= 0) {
    r.backtest.best_baseline = ordered[baseline].model;
    r.backtest.best_baseline_mase = r.backtest.scores[baseline].mase;
  }
  const int fallback = BestCandidate(ordered, r, all, Pool::kCandidateBaselines);
  // The chosen forecast shrunk toward the best simple baseline by the weight that scores
  // best on the folds (0 when the baseline is itself chosen).
  double weight = fallback >= 0 ? ShrinkWeight(ordered[chosen], ordered[fallback], all) : 0;
  // The choice judged out of sample: fold k by the choice (model, baseline, weight) made
  // on the folds apart from it.
  const ModelErrors& reference = ordered[chosen];
  const size_t folds = reference.mase.size();
  if (folds >= 3) {
    double sum = 0, base_sum = 0;
    for (size_t k = 0; k < folds; ++k) {
      auto apart = [&](size_t j) {
        const size_t a = reference.origins[j], b = reference.origins[k];
        return j != k && (a > b ? a - b : b - a) >= setup.horizon;
      };
      auto other = [&](size_t j) { return j != k; };
      bool any = false;
      for (size_t j = 0; j < folds; ++j) any |= apart(j);
      int pick = any ? BestCandidate(ordered, r, apart) : BestCandidate(ordered, r, other);
      if (pick < 0) pick = chosen;
      const int base = any ? BestCandidate(ordered, r, apart, Pool::kCandidateBaselines)
                           : BestCandidate(ordered, r, other, Pool::kCandidateBaselines);
      const double w = base < 0 ? 0
                       : any    ? ShrinkWeight(ordered[pick], ordered[base], apart)
                                : ShrinkWeight(ordered[pick], ordered[base], other);
      sum += base < 0 ? ordered[pick].mase[k] : FoldBlendMase(ordered[pick], ordered[base], w, k);
      base_sum += ordered[base >= 0 ? base : pick].mase[k];
    }
    r.backtest.selection_mase = sum / static_cast<double>(folds);
    r.backtest.baseline_selection_mase = base_sum / static_cast<double>(folds);
    // A choice that loses out of sample to the baseline chosen the same way (on the folds
    // apart from each one) is not trusted; nor, when the lead scored is the horizon itself,
    // one whose out-of-sample score does not beat even the best baseline's backtest score
    // (chosen in hindsight, so a bar the choice must clear before it replaces what a
    // planner would draw by hand). With a shorter lead, neither score measures the
    // horizon, and the line a baseline would draw is no safer than the choice.
    using Fallback = BacktestSummary::Fallback;
    if (fallback >= 0 && chosen != fallback) {
      if (r.backtest.selection_mase > r.backtest.baseline_selection_mase)
        r.backtest.fallback = Fallback::kLosesToBaselineChoice;
      else if (!lead_short && r.backtest.selection_mase > r.backtest.scores[fallback].mase)
        r.backtest.fallback = Fallback::kLosesToBaselineScore;
    }
    if (r.backtest.fallback != Fallback::kNone) chosen = fallback, weight = 0;
  }
  // Beyond a lead scored short of the horizon, a line and a curve that scored alike part:
  // a line extrapolating accelerating growth is late (4% a week over 90 days, scored 30
  // days ahead: predict_linear 43-86% late at half the seeds). When the history's growth
  // accelerates beyond its noise (CurvatureStderrs), the curve describes it at least as
  // well as two lines with a break (a speed-up, a line that steepened once, curves too: the
  // curve alone put the audits' speed-up 10% early), and compound scored within
  // kNearTieMase of the choice, the curve is chosen.
  std::vector<size_t> step_indices;
  for (const LevelShift& s : shifts)
    if (s.kind != ShiftKind::kRetention) step_indices.push_back(s.index);
  if (lead_short)
    r.backtest.curvature_stderrs = CurvatureStderrs(adjusted, r.seasonality.period, step_indices);
  if (lead_short && ordered[chosen].model != ModelKind::kCompound &&
      r.backtest.curvature_stderrs > config::kCurvatureStderrs &&
      CurveOverTwoLines(adjusted, r.seasonality.period))
    for (size_t i = 0; i < ordered.size(); ++i)
      if (ordered[i].model == ModelKind::kCompound && r.backtest.scores[i].applies &&
          r.backtest.scores[i].candidate &&
          r.backtest.scores[i].mase <= config::kNearTieMase * r.backtest.scores[chosen].mase) {
        r.backtest.curve_over = ordered[chosen].model;
        r.backtest.curve_chosen = true;
        chosen = static_cast<int>(i), weight = 0;
        break;
      }
  // The converse: compound ranked first at the lead on a history that does not curve
  // beyond its noise extrapolates a curvature nothing showed (a line with an import, seed
  // 7: 13.2% early at 140 days from a 20-day lead). The best other candidate is chosen.
  if (lead_short && ordered[chosen].model == ModelKind::kCompound && !r.backtest.curve_chosen &&
      r.backtest.curvature_stderrs <= config::kCurvatureStderrs) {
    int other = -1;
    for (size_t i = 0; i < ordered.size(); ++i) {
      const ModelScore& score = r.backtest.scores[i];
      if (!score.applies || !score.candidate || ordered[i].model == ModelKind::kCompound) continue;
      if (other < 0 || score.mase < r.backtest.scores[other].mase) other = static_cast<int>(i);
    }
    if (other >= 0) {
      r.backtest.curve_declined = true;
      chosen = other;
      weight = fallback >= 0 ? ShrinkWeight(ordered[chosen], ordered[fallback], all) : 0;
    }
  }
  r.model = ordered[chosen].model;
  if (weight > 0 && fallback >= 0) {
    r.backtest.shrink_weight = weight;
    r.backtest.shrink_toward = ordered[fallback].model;
    r.intervals =
        CalibrateIntervals(Blend(ordered, r.model, {{chosen, 1 - weight}, {fallback, weight}}));
  } else {
    r.intervals = CalibrateIntervals(ordered[chosen]);
  }
  if (r.intervals.scale.empty()) {
    r.intervals = FallbackIntervals(adjusted);
    if (r.backtest.folds == 0 || r.intervals.scale.empty()) r.low_confidence = true;
    r.warnings.push_back(
        series.name +
        (r.intervals.scale.empty()
             ? ": the history is an exact line; the bands have zero width"
             : ": the bands come from the in-sample spread of one-step changes (no backtest "
               "error to calibrate them)"));
  }
  // The steps' sizes are estimates: their errors move the level of the whole forecast.
  double step_variance = 0;
  for (const LevelShift& s : shifts)
    if (s.kind != ShiftKind::kRetention) step_variance += s.size_stderr * s.size_stderr;
  r.intervals.extra_sigma = std::sqrt(step_variance);
  r.intervals.rate_sigma = RateStandardError(adjusted, step);
  // Errors at the rounding level of the values (an exact line less a modelled step leaves
  // ~1e-16 of them) measure nothing: such bands are not identified either.
  double magnitude = 0;
  for (double v : raw) magnitude = std::max(magnitude, std::fabs(v));
  r.bands_identified = IntervalScale(r.intervals, setup.horizon) > 1e-9 * magnitude;
  // predict_linear is Prometheus' predict_linear(v[h], h): the backtest scores it over
  // the lead it can test, and the forecast draws it over the horizon's window (at most the
  // history), the steadier line, unless the growth rate changed within that window (the
  // slopes over the two windows differ by more than 3 standard errors): then over the
  // lead's, the line that was scored. Over the horizon's window, a speed-up 30 days
  // before the end (the lead) said 131.8 d for 66.0, and compounding 4% a week 145 d for
  // 85; over the lead's always, noisy lines were 30-45% out where they were 5-9%.
  ModelOptions projected = setup.model;
  const size_t long_window = std::min(HorizonSteps(options.horizon_s, step), n);
  if (options.linear_window_s <= 0 && long_window > projected.linear_window) {
    const size_t lead = projected.linear_window;
    const LineNoise recent = FitLineNoise(std::span<const double>(raw).last(lead));
    const LineNoise whole = FitLineNoise(std::span<const double>(raw).last(long_window));
    const double stderr_slope = std::hypot(
        SlopeStderr(recent, lead), SlopeStderr({0, recent.residual_sd, recent.lag1}, long_window));
    if (!(std::fabs(recent.slope - whole.slope) > config::kRateChangeStderrs * stderr_slope))
      projected.linear_window = long_window;
  }
  Project(adjusted, shifts, options, projected, r);
  r.origin_s = r.grid.start_s + step * static_cast<double>(n - 1);
  r.last_value = raw.back();
  AddConfidenceWarnings(options, r);
  return r;
}

std::optional<double> FirstCrossing(const ForecastResult& f, size_t count,
                                    const std::function<double(size_t)>& value, double threshold) {
  double previous = f.last_value;
  for (size_t i = 0; i < count; ++i) {
    const double current = value(i);
    if (current >= threshold) {
      const double fraction =
          current > previous ? (threshold - previous) / (current - previous) : 1.0;
      return f.origin_s + (static_cast<double>(i) + std::clamp(fraction, 0.0, 1.0)) * f.grid.step_s;
    }
    previous = current;
  }
  return std::nullopt;
}

Crossing TimeToThreshold(const ForecastResult& forecast, double threshold) {
  Crossing c;
  if (forecast.last_value >= threshold) {
    c.already = true;
    c.earliest_s = c.expected_s = c.latest_s = forecast.origin_s;
    c.earliest80_s = c.latest80_s = forecast.origin_s;
    return c;
  }
  auto first_crossing = [&](double Band::*field) {
    return FirstCrossing(
        forecast, forecast.path.size(), [&](size_t i) { return forecast.path[i].*field; },
        threshold);
  };
  c.earliest_s = first_crossing(&Band::upper95);
  c.earliest80_s = first_crossing(&Band::upper80);
  c.expected_s = first_crossing(&Band::expected);
  c.latest80_s = first_crossing(&Band::lower80);
  c.latest_s = first_crossing(&Band::lower95);
  return c;
}

}  // namespace sfsg
