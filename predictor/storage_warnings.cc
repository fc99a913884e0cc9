#include "predictor/storage_warnings.h"

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

#include "generator/util/strings.h"
#include "generator/util/units.h"
#include "predictor/decompose.h"

namespace sfsg {
namespace {

// The grid with the modelled level steps taken out (each lasting step's size from its
// time on), as the models see the history.
std::vector<double> WithoutLevelSteps(const ForecastResult& f) {
  std::vector<double> y = f.grid.values;
  for (const ShiftEvent& e : f.level_shifts) {
    if (e.kind == ShiftKind::kRetention) continue;
    for (size_t i = 0; i < y.size(); ++i)
      if (f.grid.start_s + static_cast<double>(i) * f.grid.step_s >= e.time_s) y[i] -= e.size;
  }
  return y;
}

// Sets r's slopes, their difference's standard error and rate_changed (see
// RecentRateCrossing). recent_linear's slope is read off its path: one whole number of
// seasons apart, its season's profile cancels.
void MeasureRateChange(const ForecastResult& f, RecentRateCrossing& r) {
  const std::vector<double> y = WithoutLevelSteps(f);
  const size_t period = std::max<size_t>(1, f.seasonality.period);
  if (y.size() < 6 || f.recent_path.size() <= period) return;
  const size_t span = (f.recent_path.size() - 1) / period * period;
  const double per_day = config::kDaySeconds / f.grid.step_s;
  const double recent_slope = (f.recent_path[span] - f.recent_path[0]) / static_cast<double>(span);
  // recent_linear fits at least the recent third: the noisiest window it can have.
  const size_t window = std::max<size_t>(3, y.size() / 3);
  const LineNoise noise = FitLineNoise(std::span<const double>(y).last(window));
  const LineNoise history = FitLineNoise(y);
  const double stderr_slope = std::hypot(SlopeStderr(noise, window),
                                         SlopeStderr({0, noise.residual_sd, noise.lag1}, y.size()));
  r.recent_slope_per_day = recent_slope * per_day;
  r.history_slope_per_day = history.slope * per_day;
  r.slope_change_stderr_per_day = stderr_slope * per_day;
  r.rate_changed =
      std::fabs(recent_slope - history.slope) > config::kRateChangeStderrs * stderr_slope;
}

// "+1.2 GiB/day", "-300.0 MiB/day".
std::string PerDay(double bytes_per_day) {
  return (bytes_per_day < 0 ? "-" : "+") + FormatBytes(std::fabs(bytes_per_day)) + "/day";
}

}  // namespace

// When the growth since the rate last changed (recent_linear) crosses the threshold, and
// whether the plan should say so: the rate changed beyond the noise (MeasureRateChange)
// and the date is far from the plan's. REQUIRES: s.threshold set.
std::optional<RecentRateCrossing> RecentRate(const StoragePlan& s) {
  const ForecastResult& f = s.forecast;
  if (f.recent_path.empty() || s.threshold.already) return std::nullopt;
  RecentRateCrossing r;
  r.threshold_s = FirstCrossing(
      f, f.recent_path.size(), [&](size_t i) { return f.recent_path[i]; }, s.threshold_bytes);
  r.search_s = static_cast<double>(f.recent_path.size()) * f.grid.step_s;
  MeasureRateChange(f, r);
  bool far = false;
  if (r.threshold_s.has_value() != s.threshold.expected_s.has_value()) {
    far = true;
  } else if (r.threshold_s) {
    const double expected = *s.threshold.expected_s - f.origin_s;
    far = std::fabs((*r.threshold_s - f.origin_s) - expected) >
          config::kRecentRateFarShare * expected;
  }
  r.far_from_plan = far && r.rate_changed;
  return r;
}

// The plan's words for RecentRate() when it is far from the plan's date: the backtest,
// most of it from before the change, chose a model that follows the whole history.
std::optional<std::string> RecentRateWarning(const StoragePlan& s) {
  if (!s.recent_rate || !s.recent_rate->far_from_plan) return std::nullopt;
  const ForecastResult& f = s.forecast;
  const auto text = [&](const std::optional<double>& t) {
    return t ? StringPrintf("in %.1f days", (*t - f.origin_s) / config::kDaySeconds)
             : "not within " +
                   StringPrintf("%.0f days", s.recent_rate->search_s / config::kDaySeconds);
  };
  const RecentRateCrossing& r = *s.recent_rate;
  return "used_bytes: at the growth rate since it last changed (recent_linear) the threshold is "
         "reached " +
         text(r.threshold_s) + "; the plan's " + std::string(ModelName(f.model)) +
         ", chosen on a backtest mostly from before the change, says " +
         text(s.threshold.expected_s) + ": watch which rate holds (" +
         PerDay(r.recent_slope_per_day) + " since the change, " + PerDay(r.history_slope_per_day) +
         " over the history, standard error " + FormatBytes(r.slope_change_stderr_per_day) + ")";
}

// When inodes run out before bytes (BindingLimitOf), the plan says so: the byte figures
// (the recommendation, a purchase, space to reclaim) do not help, and shrinking a volume
// takes its inodes with it.
std::optional<std::string> InodesFirstWarning(const StoragePlan& s) {
  const BindingLimit b = BindingLimitOf(s);
  if (b.limit != Limit::kInodes) return std::nullopt;
  const double days = BindingDays(b);
  if (days == INFINITY) return std::nullopt;
  const std::string when = days == -INFINITY ? std::string("is already reached")
                                             : StringPrintf("is reached in %.1f days", days);
  const std::string bytes =
      s.threshold.expected_s
          ? StringPrintf("in %.1f days",
                         (*s.threshold.expected_s - s.forecast.origin_s) / config::kDaySeconds)
          : StringPrintf("not within %.0f days", s.forecast.search_s() / config::kDaySeconds);
  return "files: inodes run out first: the inode threshold " + when + ", the bytes' " + bytes +
         "; " + InodesNeedText(s.recommended_capacity_files, s.additional_files) +
         "; more bytes alone do not add inodes on most filesystems, and shrinking the volume "
         "takes inodes away";
}

// When the series' capacity_bytes drifts (a shared pool: a ZFS dataset, a thin pool or a
// Ceph quota shrinking as its neighbours grow) by more than 1% over the search limit: the
// plan holds today's capacity, so the date at the capacity's own forecast is said.
// Only a gradual change drifts: a capacity that changes in steps (disks added, a quota
// raised) is purchases, and a trend through them says the next one will come by itself (an
// audit's three disks read as +83.9 GiB a day and a date of 102.5 days for a truth of
// 33.3), so a capacity with a step, or with three rises or more, is
// silent; so is one step with noise about it, whose trend is the noise's.
std::optional<std::string> CapacityDriftWarning(const PlanInputs& in, const StoragePlan& s,
                                                const ForecastOptions& options) {
  if (in.capacity_bytes || s.threshold.already) return std::nullopt;
  auto series = ExtractSeries(*in.usage, "capacity_bytes");
  if (!series || series->values.size() < 10) return std::nullopt;
  const ForecastResult& used = s.forecast;
  auto capacity = ForecastSeries(*series, options);
  if (!capacity || used.path.empty()) return std::nullopt;
  DetectionNotes notes;
  if (!capacity->level_shifts.empty() ||
      !DetectLevelShifts(capacity->grid.values, &notes).empty() || notes.growth_steps > 0)
    return std::nullopt;
  const double step = used.grid.step_s;
  const auto time_of = [&](size_t i) { return used.origin_s + static_cast<double>(i + 1) * step; };
  const double keep = s.threshold_bytes / s.capacity_bytes;  // 1 - buffer
  const double end = time_of(used.path.size() - 1);
  const double drift = capacity->At(end).expected - s.capacity_bytes;
  if (!(std::fabs(drift) > 0.01 * s.capacity_bytes)) return std::nullopt;
  // The used path lifted by the capacity lost (lowered by that gained) meets today's
  // threshold where the used bytes meet the drifting one.
  const std::optional<double> at = FirstCrossing(
      used, used.path.size(),
      [&](size_t i) {
        return used.path[i].expected +
               keep * (s.capacity_bytes - capacity->At(time_of(i)).expected);
      },
      s.threshold_bytes);
  const auto days = [&](const std::optional<double>& t) {
    return t ? StringPrintf("in %.1f days", (*t - used.origin_s) / config::kDaySeconds)
             : StringPrintf("not within %.0f days", (end - used.origin_s) / config::kDaySeconds);
  };
  const double span_days = (end - used.origin_s) / config::kDaySeconds;
  return "capacity_bytes: the capacity has been " +
         std::string(drift < 0 ? "shrinking" : "growing") + " (" + FormatBytes(s.capacity_bytes) +
         " now, " + (drift < 0 ? "-" : "+") + FormatBytes(std::fabs(drift) / span_days) +
         " a day at its trend" + (drift < 0 ? ": a shared pool whose neighbours grow?" : "") +
         "); at that trend the threshold is reached " + days(at) +
         "; the plan, which holds today's capacity, says " + days(s.threshold.expected_s) +
         " (--capacity gives a capacity you know)";
}

}  // namespace sfsg
