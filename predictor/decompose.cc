#include "predictor/decompose.h"

#include <algorithm>
#include <cmath>

#include "predictor/series.h"

namespace sfsg {
namespace {

double MedianOf(std::span<const double> y, size_t begin, size_t end) {
  return Median(std::vector<double>(y.begin() + begin, y.begin() + end));
}

struct Strength {
  double ratio = 0;
  bool qualifies = false;
};

// Classical decomposition strength of period m (see the header), on the series less a
// centred moving average over trend_m steps (m itself, or a multiple of m: the daily
// profile judged on what the weekly average leaves, to compare it with the weekly one).
Strength SeasonalStrength(std::span<const double> y, size_t m, size_t trend_m) {
  const size_t n = y.size();
  const size_t half = trend_m / 2;
  std::vector<double> prefix(n + 1, 0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + y[i];
  std::vector<double> profile(m, 0), count(m, 0);
  std::vector<double> detrended;
  detrended.reserve(n);
  size_t first = half, last = n - half;  // [first, last): where the average is centred
  for (size_t i = first; i < last; ++i) {
    double average;
    if (trend_m % 2 == 1) {
      average = (prefix[i + half + 1] - prefix[i - half]) / static_cast<double>(trend_m);
    } else {  // 2 x m moving average: half weight on the two end points
      average = (prefix[i + half + 1] - prefix[i - half] - 0.5 * (y[i - half] + y[i + half])) /
                static_cast<double>(trend_m);
    }
    const double r = y[i] - average;
    detrended.push_back(r);
    profile[i % m] += r;
    count[i % m] += 1;
  }
  double mean = 0;
  for (size_t p = 0; p < m; ++p) {
    profile[p] = count[p] > 0 ? profile[p] / count[p] : 0;
    mean += profile[p];
  }
  mean /= static_cast<double>(m);
  double season_var = 0;
  for (double p : profile) season_var += (p - mean) * (p - mean);
  season_var /= static_cast<double>(m);
  double detrended_mean = 0, detrended_var = 0;
  for (double r : detrended) detrended_mean += r;
  detrended_mean /= static_cast<double>(detrended.size());
  for (double r : detrended) detrended_var += (r - detrended_mean) * (r - detrended_mean);
  detrended_var /= static_cast<double>(detrended.size());
  Strength s;
  if (!(detrended_var > 0)) return s;
  s.ratio = std::min(1.0, season_var / detrended_var);
  const double cycles = static_cast<double>(detrended.size()) / static_cast<double>(m);
  s.qualifies = s.ratio >= std::max(0.3, 2.0 / cycles);
  return s;
}

}  // namespace

const char* ShiftKindName(ShiftKind kind) {
  switch (kind) {
    case ShiftKind::kCleanup:
      return "cleanup";
    case ShiftKind::kImport:
      return "import";
    case ShiftKind::kMigration:
      return "migration";
    case ShiftKind::kRetention:
      return "retention";
  }
  return "unknown";
}

namespace {

// 1.4826 x the median absolute deviation from the median: the standard deviation for
// normal noise, blind to a few outliers (the steps).
double RobustSpread(std::span<const double> v) {
  const double centre = Median(std::vector<double>(v.begin(), v.end()));
  std::vector<double> deviation(v.size());
  for (size_t i = 0; i < v.size(); ++i) deviation[i] = std::fabs(v[i] - centre);
  return 1.4826 * Median(deviation);
}

// Median of y[begin, end) and the index at its centre.
double WindowMedian(std::span<const double> y, size_t begin, size_t end, double& centre) {
  centre = (static_cast<double>(begin) + static_cast<double>(end) - 1) / 2;
  return MedianOf(y, begin, end);
}

}  // namespace

StepEstimate EstimateStep(std::span<const double> y, size_t index, size_t lo, size_t hi,
                          size_t begin) {
  StepEstimate out;
  const size_t n = y.size();
  hi = std::min(hi, n);
  begin = std::min(begin, index);
  if (index == 0 || index >= hi || lo >= begin) return out;
  constexpr size_t kSide = 20;
  const size_t start = std::max(lo, begin >= kSide ? begin - kSide : 0);
  const size_t end = std::min(hi, index + kSide);
  const size_t before = begin - start, after = end - index;
  // The points fitted: [start, begin) before the step, [index, end) after it.
  const auto fitted_points = [&](auto&& visit) {
    for (size_t i = start; i < begin; ++i) visit(i);
    for (size_t i = index; i < end; ++i) visit(i);
  };
  const auto x_of = [&](size_t i) { return static_cast<double>(i) - static_cast<double>(index); };
  if ((after < 2 && before >= 3) || (before < 2 && after >= 3)) {
    // One point on a side: the line through the points on the other side, extrapolated
    // to it; the error that of one point about that line.
    const bool from_before = after < 2;
    const size_t first = from_before ? start : index, last = from_before ? begin : end;
    const size_t m = last - first;
    double sx = 0, sy = 0;
    for (size_t i = first; i < last; ++i) sx += x_of(i), sy += y[i];
    const double mx = sx / static_cast<double>(m), my = sy / static_cast<double>(m);
    double sxx = 0, sxy = 0;
    for (size_t i = first; i < last; ++i)
      sxx += (x_of(i) - mx) * (x_of(i) - mx), sxy += (x_of(i) - mx) * (y[i] - my);
    const double slope = sxx > 0 ? sxy / sxx : 0;
    double sse = 0;
    for (size_t i = first; i < last; ++i) {
      const double r = y[i] - (my + slope * (x_of(i) - mx));
      sse += r * r;
    }
    const double sigma2 = m > 2 ? sse / static_cast<double>(m - 2) : 0;
    const size_t lone = from_before ? index : begin - 1;  // the point on the short side
    const double gap = y[lone] - (my + slope * (x_of(lone) - mx));
    out.size = from_before ? gap : -gap;
    const double dx = x_of(lone) - mx;
    out.stderr_ =
        std::sqrt(sigma2 * (1 + 1 / static_cast<double>(m) + (sxx > 0 ? dx * dx / sxx : 0)));
    return out;
  }
  if (before + after < 4 || before < 2 || after < 2) {
    // Too few points on a side for a slope: the difference of the means.
    double sum_before = 0, sum_after = 0;
    for (size_t i = start; i < begin; ++i) sum_before += y[i];
    for (size_t i = index; i < end; ++i) sum_after += y[i];
    out.size = sum_after / static_cast<double>(after) - sum_before / static_cast<double>(before);
    out.stderr_ = std::fabs(out.size);
    return out;
  }
  // Least squares of y = a + b (i - index) + delta [i >= index], by the normal equations.
  double s[3][3] = {}, r[3] = {};
  fitted_points([&](size_t i) {
    const double x[3] = {1, x_of(i), i >= index ? 1.0 : 0.0};
    for (int p = 0; p < 3; ++p) {
      r[p] += x[p] * y[i];
      for (int q = 0; q < 3; ++q) s[p][q] += x[p] * x[q];
    }
  });
  const size_t count = before + after;
  // Inverse of the symmetric 3x3 matrix by cofactors.
  const double det = s[0][0] * (s[1][1] * s[2][2] - s[1][2] * s[2][1]) -
                     s[0][1] * (s[1][0] * s[2][2] - s[1][2] * s[2][0]) +
                     s[0][2] * (s[1][0] * s[2][1] - s[1][1] * s[2][0]);
  if (!(std::fabs(det) > 0)) return out;
  double inv[3][3];
  inv[0][0] = (s[1][1] * s[2][2] - s[1][2] * s[2][1]) / det;
  inv[0][1] = (s[0][2] * s[2][1] - s[0][1] * s[2][2]) / det;
  inv[0][2] = (s[0][1] * s[1][2] - s[0][2] * s[1][1]) / det;
  inv[1][0] = (s[1][2] * s[2][0] - s[1][0] * s[2][2]) / det;
  inv[1][1] = (s[0][0] * s[2][2] - s[0][2] * s[2][0]) / det;
  inv[1][2] = (s[0][2] * s[1][0] - s[0][0] * s[1][2]) / det;
  inv[2][0] = (s[1][0] * s[2][1] - s[1][1] * s[2][0]) / det;
  inv[2][1] = (s[0][1] * s[2][0] - s[0][0] * s[2][1]) / det;
  inv[2][2] = (s[0][0] * s[1][1] - s[0][1] * s[1][0]) / det;
  double beta[3] = {};
  for (int p = 0; p < 3; ++p)
    for (int q = 0; q < 3; ++q) beta[p] += inv[p][q] * r[q];
  double sse = 0;
  fitted_points([&](size_t i) {
    const double fitted = beta[0] + beta[1] * x_of(i) + (i >= index ? beta[2] : 0);
    sse += (y[i] - fitted) * (y[i] - fitted);
  });
  const double dof = static_cast<double>(count) - 3;
  out.size = beta[2];
  out.stderr_ = dof > 0 ? std::sqrt(sse / dof * std::max(inv[2][2], 0.0)) : std::fabs(beta[2]);
  return out;
}

double StepSize(std::span<const double> y, size_t index) {
  return EstimateStep(y, index, 0, y.size()).size;
}

std::vector<LevelShift> DetectLevelShifts(std::span<const double> y, DetectionNotes* notes,
                                          double steps_per_day) {
  std::vector<LevelShift> shifts;
  if (notes) *notes = DetectionNotes();
  const size_t n = y.size();
  if (n < 8) return shifts;
  std::vector<double> diff(n - 1);
  for (size_t i = 1; i < n; ++i) diff[i - 1] = y[i] - y[i - 1];
  const double typical = Median(diff);
  double sigma = RobustSpread(diff);
  double scale = 0;
  for (double v : y) scale = std::max(scale, std::fabs(v));
  sigma = std::max(sigma, 1e-9 * scale);
  if (!(sigma > 0)) return shifts;
  const double cut = 6 * sigma;
  constexpr size_t kWindow = 5;
  size_t i = 1;
  while (i < n) {
    const double d = y[i] - y[i - 1] - typical;
    if (!(std::fabs(d) > cut)) {
      ++i;
      continue;
    }
    const double sign = d > 0 ? 1 : -1;
    // The run takes in the changes beyond half the cut either side of it (a migration's
    // ramp of hourly samples: with noise, some of its changes fall under the cut, and a run
    // begun or ended inside the ramp left the rest as "faster growth").
    // A change under half the cut stops it unless the median of the next (previous) few is
    // still beyond it (one noisy change inside the ramp).
    const auto beyond_half = [&](size_t from, size_t to) {  // median of diff[from, to)
      if (to <= from) return false;
      std::vector<double> side(diff.begin() + static_cast<std::ptrdiff_t>(from),
                               diff.begin() + static_cast<std::ptrdiff_t>(to));
      return sign * (Median(side) - typical) > cut / 2;
    };
    const size_t lowest = shifts.empty() ? 1 : shifts.back().index + 1;
    size_t begin = i;  // y[begin - 1] is the last point before the step
    while (begin > lowest &&
           (beyond_half(begin - 2, begin - 1) ||
            beyond_half(begin >= kWindow + 1 ? begin - kWindow - 1 : 0, begin - 1)))
      --begin;
    while (i + 1 < n &&
           (beyond_half(i, i + 1) || beyond_half(i, std::min(diff.size(), i + kWindow))))
      ++i;
    const size_t end = i;  // y[end] is the first point after it
    ++i;
    // The windows before the run stop at the step found before it (an import and a
    // clean-up days apart: the clean-up judged against the level before the import was
    // no step at all).
    const size_t floor = shifts.empty() ? 0 : std::min(shifts.back().index, begin - 1);
    const size_t pre_begin = std::max(floor, begin >= kWindow ? begin - kWindow : 0);
    const size_t long_begin = std::max(floor, begin >= 4 * kWindow ? begin - 4 * kWindow : 0);
    const size_t post_end = std::min(n, end + kWindow);
    double c_pre = 0, c_long = 0, c_post = 0;
    const double pre = WindowMedian(y, pre_begin, begin, c_pre);
    const double pre_long = WindowMedian(y, long_begin, begin, c_long);
    const double post = WindowMedian(y, end, post_end, c_post);
    const double size = post - pre - typical * (c_post - c_pre);
    double c_post_long = 0;
    const double post_long = WindowMedian(y, end, std::min(n, end + 4 * kWindow), c_post_long);
    const double size_long = post - pre_long - typical * (c_post - c_long);
    const double size_after = post_long - pre - typical * (c_post_long - c_pre);
    // A short plateau (a burst) returns to the level before it: the longer windows
    // before and after the step must confirm it.
    const bool step = sign * size > 6 * sigma && std::fabs(size) >= 0.01 * std::fabs(pre);
    const bool lasting =
        sign * size_long > 6 * sigma && std::fabs(size_long) >= 0.01 * std::fabs(pre) &&
        sign * size_after > 6 * sigma && std::fabs(size_after) >= 0.01 * std::fabs(pre);
    if (!(step && lasting)) continue;
    // The changes either side of the run are typical again: otherwise the growth rate
    // changed (a run of faster growth split by noise, or one that lasts to the end).
    const size_t span = end - begin + 1;
    const auto typical_again = [&](size_t from, size_t to) {  // diff[from, to)
      if (to < from + 2) return span < 3;
      std::vector<double> side(diff.begin() + static_cast<std::ptrdiff_t>(from),
                               diff.begin() + static_cast<std::ptrdiff_t>(to));
      return std::fabs(Median(side) - typical) <= 3 * sigma;
    };
    if (!typical_again(std::max(floor, begin - 1 >= kWindow ? begin - 1 - kWindow : 0), begin - 1))
      continue;
    if (!typical_again(end, std::min(diff.size(), end + kWindow))) {
      if (notes && span >= 3 && end + 2 >= n) notes->run_at_end = {begin, end};
      continue;
    }
    LevelShift shift;
    shift.index = end;
    shift.begin = begin;
    shift.size = size;
    shift.kind =
        span >= 3 ? ShiftKind::kMigration : (sign > 0 ? ShiftKind::kImport : ShiftKind::kCleanup);
    shifts.push_back(shift);
  }
  // The size of each step by the local intervention regression, within its neighbours.
  for (size_t k = 0; k < shifts.size(); ++k) {
    const size_t lo = k > 0 ? shifts[k - 1].index : 0;
    const size_t hi = k + 1 < shifts.size() ? shifts[k + 1].index : n;
    const StepEstimate e = EstimateStep(y, shifts[k].index, lo, hi, shifts[k].begin);
    if (std::signbit(e.size) == std::signbit(shifts[k].size)) {
      shifts[k].size = e.size;
      shifts[k].size_stderr = e.stderr_;
    }
  }
  // A rise smaller than two days of the growth between the steps is a burst of it (an
  // hour of busy writes on 5-minute samples), not an import worth modelling: taken out,
  // the growth it belongs to goes with it.
  if (steps_per_day > 0 && !shifts.empty()) {
    double stepped = 0;
    for (const LevelShift& s : shifts) stepped += s.size;
    const double rate = (y[n - 1] - y[0] - stepped) / static_cast<double>(n - 1);
    const size_t before = shifts.size();
    std::erase_if(shifts, [&](const LevelShift& s) {
      return s.size > 0 && !s.declared && s.size < 2 * rate * steps_per_day;
    });
    if (notes) notes->burst_steps = before - shifts.size();
  }
  // Rises that recur are how the volume grows (bursts of writes), not one-off imports:
  // what came three times comes again. Taken out, they left a series that grows by what
  // lies between them only (bursty writes an hour or two long, a quarter of the growth:
  // six "migrations" in 14 days, the date 25% late).
  size_t rise_count = 0;
  for (const LevelShift& s : shifts)
    if (s.size > 0) ++rise_count;
  if (rise_count >= 3) {
    std::erase_if(shifts, [](const LevelShift& s) { return s.size > 0; });
    if (notes) notes->growth_steps = rise_count;
  }
  // Drops at a regular interval are retention, not one-off clean-ups.
  std::vector<size_t> drops;
  for (size_t k = 0; k < shifts.size(); ++k)
    if (shifts[k].size < 0) drops.push_back(k);
  if (drops.size() >= 3) {
    std::vector<double> intervals;
    for (size_t k = 1; k < drops.size(); ++k)
      intervals.push_back(static_cast<double>(shifts[drops[k]].index - shifts[drops[k - 1]].index));
    const double median = Median(intervals);
    bool regular = true;
    for (double v : intervals) regular &= std::fabs(v - median) <= 0.35 * median;
    if (regular)
      for (size_t k : drops) shifts[k].kind = ShiftKind::kRetention;
  }
  return shifts;
}

std::vector<double> RemoveLevelShifts(std::span<const double> y,
                                      const std::vector<LevelShift>& shifts) {
  std::vector<double> out(y.begin(), y.end());
  double later = 0;  // sum of the lasting steps after the current point
  size_t k = shifts.size();
  for (size_t i = out.size(); i-- > 0;) {
    while (k > 0 && shifts[k - 1].index > i) {
      --k;
      if (shifts[k].kind != ShiftKind::kRetention) later += shifts[k].size;
    }
    out[i] += later;
  }
  for (const LevelShift& s : shifts) {
    if (s.kind == ShiftKind::kRetention || s.begin == 0 || s.begin >= s.index ||
        s.index >= out.size())
      continue;
    const double a = out[s.begin - 1], b = out[s.index];
    const double gap = static_cast<double>(s.index - s.begin + 1);
    for (size_t i = s.begin; i < s.index; ++i)
      out[i] = a + (b - a) * static_cast<double>(i - s.begin + 1) / gap;
  }
  return out;
}

std::vector<std::pair<size_t, size_t>> FindExcursions(std::span<const double> y, double step_s) {
  std::vector<std::pair<size_t, size_t>> out;
  const size_t n = y.size();
  if (n < 8) return out;
  std::vector<double> diff(n - 1);
  for (size_t i = 1; i < n; ++i) diff[i - 1] = y[i] - y[i - 1];
  const double typical = Median(diff);
  double scale = 0;
  for (double v : y) scale = std::max(scale, std::fabs(v));
  const double sigma = std::max(RobustSpread(diff), 1e-9 * scale);
  if (!(sigma > 0)) return out;
  constexpr size_t kLongest = 3;
  for (size_t i = 1; i + 1 < n; ++i) {
    const double jump = y[i] - y[i - 1] - typical;
    if (!(std::fabs(jump) > 6 * sigma) || std::fabs(jump) < 0.01 * std::fabs(y[i - 1])) continue;
    const double side = jump > 0 ? 1 : -1;
    for (size_t k = 1; k <= kLongest && i + k < n; ++k) {
      const size_t back = i + k;  // the first point after the run
      const double span = static_cast<double>(k + 1);
      if (!(std::fabs(y[back] - y[i - 1] - typical * span) <= 3 * sigma)) continue;
      bool away = true;
      for (size_t j = i; j < back && away; ++j) {
        const double along = static_cast<double>(j - i + 1) / span;
        away = side * (y[j] - (y[i - 1] + (y[back] - y[i - 1]) * along)) > 6 * sigma;
      }
      if (!away) continue;
      out.emplace_back(i, back - 1);
      i = back - 1;
      break;
    }
  }
  // Runs at one phase of the day or the week, three or more: a job's spool, not a glitch.
  std::vector<bool> recurs(out.size(), false);
  for (const double period_s : {86400.0, 604800.0}) {
    if (!(step_s > 0)) break;
    const double steps = period_s / step_s;
    const size_t m = static_cast<size_t>(std::llround(steps));
    if (m < 2 || std::fabs(steps - static_cast<double>(m)) > 0.01 * steps) continue;
    std::vector<size_t> at_phase(m, 0);
    for (const auto& run : out) ++at_phase[run.first % m];
    for (size_t k = 0; k < out.size(); ++k)
      recurs[k] = recurs[k] || at_phase[out[k].first % m] >= 3;
  }
  size_t kept = 0;
  for (size_t k = 0; k < out.size(); ++k)
    if (!recurs[k]) out[kept++] = out[k];
  out.resize(kept);
  return out;
}

std::vector<double> WithoutSeasonalChanges(std::span<const double> y, double step_s) {
  std::vector<double> out(y.begin(), y.end());
  const size_t n = y.size();
  if (!(step_s > 0) || n < 9) return out;
  std::vector<double> diff(n - 1);
  for (size_t i = 1; i < n; ++i) diff[i - 1] = y[i] - y[i - 1];
  const double spread = RobustSpread(diff);
  if (!(spread > 0)) return out;
  double best_spread = 0.7 * spread;
  std::vector<double> best_pattern;
  size_t best_m = 0;
  for (const double period_s : {86400.0, 604800.0}) {
    const double steps = period_s / step_s;
    const size_t m = static_cast<size_t>(std::llround(steps));
    if (m < 2 || std::fabs(steps - static_cast<double>(m)) > 0.01 * steps) continue;
    if (diff.size() < 4 * m) continue;
    // diff[i] = y[i + 1] - y[i] falls on phase (i + 1) % m.
    std::vector<double> pattern(m);
    std::vector<double> at_phase;
    for (size_t p = 0; p < m; ++p) {
      at_phase.clear();
      for (size_t i = (p + m - 1) % m; i < diff.size(); i += m) at_phase.push_back(diff[i]);
      pattern[p] = Median(at_phase);
    }
    double mean = 0;
    for (double v : pattern) mean += v;
    mean /= static_cast<double>(m);
    std::vector<double> size(m);
    for (size_t p = 0; p < m; ++p) pattern[p] -= mean, size[p] = std::fabs(pattern[p]);
    const double largest = *std::max_element(size.begin(), size.end());
    if (largest > 4 * Median(size)) continue;  // one phase: an event at a fixed time
    std::vector<double> adjusted(diff.size());
    for (size_t i = 0; i < diff.size(); ++i) adjusted[i] = diff[i] - pattern[(i + 1) % m];
    const double s = RobustSpread(adjusted);
    if (s < best_spread) best_spread = s, best_pattern = std::move(pattern), best_m = m;
  }
  if (best_m == 0) return out;
  for (size_t i = 1; i < n; ++i) out[i] = out[i - 1] + (y[i] - y[i - 1]) - best_pattern[i % best_m];
  return out;
}

Seasonality DetectSeasonality(std::span<const double> y, double step_s) {
  Seasonality best;
  if (!(step_s > 0)) return best;
  struct Candidate {
    const char* name;
    double period_s;
  };
  const Candidate candidates[] = {{"daily", 86400}, {"weekly", 604800}};
  for (const Candidate& c : candidates) {
    const double steps = c.period_s / step_s;
    const size_t m = static_cast<size_t>(std::llround(steps));
    if (m < 2 || std::fabs(steps - static_cast<double>(m)) > 0.01 * steps) continue;
    if (y.size() < 3 * m) continue;
    const Strength s = SeasonalStrength(y, m, m);
    if (!s.qualifies) continue;
    // A week holds whole days, so its profile holds the daily one too, and each explains
    // most of what its own moving average leaves: the two are compared on what the weekly
    // average leaves, where the daily profile misses the day-of-week swing.
    if (best.period > 1 && s.ratio < SeasonalStrength(y, best.period, m).ratio + 0.1) continue;
    best = {m, c.name, s.ratio};
  }
  return best;
}

}  // namespace sfsg
