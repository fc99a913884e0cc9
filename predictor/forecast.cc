#include "predictor/forecast.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

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
  if (q.counter_resets > 0)
    warn(std::to_string(q.counter_resets) + " counter resets (counted from zero)");
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

void Summarize(const std::vector<ModelErrors>& errors, const ForecastOptions& options,
               size_t horizon, ForecastResult& r) {
  r.backtest.horizon_steps = horizon;
  for (const ModelErrors& e : errors) {
    ModelScore s;
    s.model = e.model;
    s.applies = e.applies && !e.mase.empty();
    s.candidate = std::find(options.candidates.begin(), options.candidates.end(), e.model) !=
                  options.candidates.end();
    if (s.applies) {
      s.mase = Mean(e.mase);
      s.smape = Mean(e.smape);
      const Coverage c = CheckCoverage(e);
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

// The backtest's shape: lead times scored, folds, the training minimum for the season.
BacktestSetup MakeSetup(const ForecastOptions& options, size_t n, double step, size_t period,
                        const std::vector<LevelShift>& shifts) {
  const size_t horizon_steps =
      std::max<size_t>(1, static_cast<size_t>(std::ceil(options.horizon_s / step - 1e-9)));
  BacktestSetup setup;
  setup.horizon = options.backtest_horizon_s > 0
                      ? static_cast<size_t>(std::ceil(options.backtest_horizon_s / step))
                      : std::min(horizon_steps, std::max<size_t>(1, n / 4));
  setup.horizon = std::clamp<size_t>(setup.horizon, 1, n / 2);
  setup.folds = options.folds;
  setup.removed_shifts = shifts;
  setup.model.seed = options.seed;
  setup.model.season = period;
  setup.model.linear_window =
      std::max<size_t>(2, options.linear_window_s > 0
                              ? static_cast<size_t>(std::llround(options.linear_window_s / step))
                              : setup.horizon);
  setup.min_train = std::max<size_t>(std::min<size_t>(10, n / 2), period > 1 ? 2 * period + 2 : 0);
  return setup;
}

// The candidate with the lowest mean MASE; ties go to the simpler model (listed first).
const ModelErrors* ChooseModel(const std::vector<ModelErrors>& errors, const ForecastResult& r) {
  const ModelErrors* chosen = nullptr;
  double best = 0;
  for (size_t i = 0; i < errors.size(); ++i) {
    const ModelScore& s = r.backtest.scores[i];
    if (!s.candidate || !s.applies) continue;
    if (!chosen || s.mase < best) chosen = &errors[i], best = s.mase;
  }
  return chosen;
}

// The chosen model refitted on the whole (adjusted) history, projected to the search
// limit with its bands; non-negative series keep non-negative bands.
void Project(const std::vector<double>& adjusted, const ForecastOptions& options,
             const ModelOptions& model_options, ForecastResult& r) {
  const double step = r.grid.step_s;
  const size_t horizon_steps =
      std::max<size_t>(1, static_cast<size_t>(std::ceil(options.horizon_s / step - 1e-9)));
  double search_s =
      options.search_s > 0 ? options.search_s : std::max(4 * options.horizon_s, kYear);
  search_s = std::max(search_s, options.horizon_s);
  const size_t steps = std::clamp<size_t>(static_cast<size_t>(std::ceil(search_s / step)),
                                          horizon_steps, std::max(horizon_steps, kMaxPathSteps));
  const std::vector<double> expected =
      FitAndForecast(r.model, adjusted, steps, model_options, &r.fit);
  const std::vector<double>& raw = r.grid.values;
  const bool non_negative = *std::min_element(raw.begin(), raw.end()) >= 0;
  auto floor_at_zero = [&](double v) { return non_negative ? std::max(v, 0.0) : v; };
  r.path.resize(steps);
  const IntervalModel& iv = r.intervals;
  for (size_t h = 0; h < steps; ++h) {
    const double s = IntervalScale(iv, h + 1);
    const double e = expected[h];
    r.path[h] = {floor_at_zero(e), floor_at_zero(e + iv.q10 * s), floor_at_zero(e + iv.q90 * s),
                 floor_at_zero(e + iv.q025 * s), floor_at_zero(e + iv.q975 * s)};
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
  }
}

// "usage.csv: used_bytes", the prefix of a message about a series.
std::string SeriesWhere(const Series& series) {
  return series.source.empty() ? series.name : series.source + ": " + series.name;
}

}  // namespace

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
  const size_t n = r.grid.values.size();
  const double step = r.grid.step_s;
  if (n < 10) {
    char buf[200];
    std::snprintf(buf, sizeof(buf),
                  ": %zu points at a %.0f s step (%zu samples over %.0f s); at least 10 are "
                  "needed for a forecast",
                  n, step, series.time_s.size(), series.time_s.back() - series.time_s.front());
    return Error::BadInput(SeriesWhere(series) + buf);
  }
  AddQualityWarnings(r);
  const std::vector<double>& raw = r.grid.values;
  const bool remove_shifts =
      options.level_shifts == LevelShiftMode::kOn ||
      (options.level_shifts == LevelShiftMode::kAuto && IsLevelColumn(series.name));
  const std::vector<LevelShift> shifts =
      remove_shifts ? DetectLevelShifts(raw) : std::vector<LevelShift>();
  const std::vector<double> adjusted = RemoveLevelShifts(raw, shifts);
  for (const LevelShift& s : shifts)
    r.level_shifts.push_back({r.grid.start_s + static_cast<double>(s.index) * step, s.size});
  r.seasonality = DetectSeasonality(adjusted, step);
  BacktestSetup setup = MakeSetup(options, n, step, r.seasonality.period, shifts);
  if (FoldOrigins(n, setup).empty() && r.seasonality.period > 1) {
    r.warnings.push_back(series.name + ": " + r.seasonality.name +
                         " seasonality ignored: too little history to backtest it");
    r.seasonality = Seasonality();
    setup = MakeSetup(options, n, step, 1, shifts);
  }
  // Scored against the history with the clean-ups undone: the forecast is of growth, and
  // a clean-up in a test window would otherwise reward models that ignore the trend.
  const std::vector<ModelErrors> errors =
      RunBacktest(adjusted, setup, std::span<const ModelKind>(kAllModels));
  Summarize(errors, options, setup.horizon, r);
  const ModelErrors* chosen = ChooseModel(errors, r);
  if (!chosen)
    return Error::BadInput(SeriesWhere(series) + ": no model could be backtested on " +
                           std::to_string(n) + " points");
  r.model = chosen->model;
  r.intervals = CalibrateIntervals(*chosen);
  Project(adjusted, options, setup.model, r);
  r.origin_s = r.grid.start_s + step * static_cast<double>(n - 1);
  r.last_value = raw.back();
  AddConfidenceWarnings(options, r);
  return r;
}

Crossing TimeToThreshold(const ForecastResult& forecast, double threshold) {
  Crossing c;
  if (forecast.last_value >= threshold) {
    c.already = true;
    c.earliest_s = c.expected_s = c.latest_s = forecast.origin_s;
    return c;
  }
  auto first_crossing = [&](double Band::*field) -> std::optional<double> {
    double previous = forecast.last_value;
    for (size_t i = 0; i < forecast.path.size(); ++i) {
      const double current = forecast.path[i].*field;
      if (current >= threshold) {
        const double fraction =
            current > previous ? (threshold - previous) / (current - previous) : 1.0;
        return forecast.origin_s +
               (static_cast<double>(i) + std::clamp(fraction, 0.0, 1.0)) * forecast.grid.step_s;
      }
      previous = current;
    }
    return std::nullopt;
  };
  c.earliest_s = first_crossing(&Band::upper95);
  c.expected_s = first_crossing(&Band::expected);
  c.latest_s = first_crossing(&Band::lower95);
  return c;
}

}  // namespace sfsg
