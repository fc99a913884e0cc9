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

// Classical decomposition strength of period m (see the header).
Strength SeasonalStrength(std::span<const double> y, size_t m) {
  const size_t n = y.size();
  const size_t half = m / 2;
  std::vector<double> prefix(n + 1, 0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + y[i];
  std::vector<double> profile(m, 0), count(m, 0);
  std::vector<double> detrended;
  detrended.reserve(n);
  size_t first = half, last = n - half;  // [first, last): where the average is centred
  for (size_t i = first; i < last; ++i) {
    double average;
    if (m % 2 == 1) {
      average = (prefix[i + half + 1] - prefix[i - half]) / static_cast<double>(m);
    } else {  // 2 x m moving average: half weight on the two end points
      average = (prefix[i + half + 1] - prefix[i - half] - 0.5 * (y[i - half] + y[i + half])) /
                static_cast<double>(m);
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

std::vector<LevelShift> DetectLevelShifts(std::span<const double> y) {
  std::vector<LevelShift> shifts;
  const size_t n = y.size();
  if (n < 8) return shifts;
  std::vector<double> diff(n - 1);
  for (size_t i = 1; i < n; ++i) diff[i - 1] = y[i] - y[i - 1];
  const double typical = Median(diff);
  std::vector<double> deviation(diff.size());
  for (size_t i = 0; i < diff.size(); ++i) deviation[i] = std::fabs(diff[i] - typical);
  double sigma = 1.4826 * Median(deviation);
  double scale = 0;
  for (double v : y) scale = std::max(scale, std::fabs(v));
  sigma = std::max(sigma, 1e-9 * scale);
  if (!(sigma > 0)) return shifts;
  const double cut = typical - 6 * sigma;
  constexpr size_t kWindow = 5;
  size_t i = 1;
  while (i < n) {
    if (!(y[i] - y[i - 1] < cut)) {
      ++i;
      continue;
    }
    const size_t begin = i;  // y[begin - 1] is the last point before the drop
    while (i + 1 < n && y[i + 1] - y[i] < cut) ++i;
    const size_t end = i;  // y[end] is the first point after it
    ++i;
    const size_t pre_begin = begin >= kWindow ? begin - kWindow : 0;
    const size_t long_begin = begin >= 4 * kWindow ? begin - 4 * kWindow : 0;
    const size_t post_end = std::min(n, end + kWindow);
    const double pre = MedianOf(y, pre_begin, begin);
    const double pre_long = MedianOf(y, long_begin, begin);
    const double post = MedianOf(y, end, post_end);
    const double size = post - pre;
    // A short plateau ending (a burst) drops back to the level before it: the longer
    // window before the drop must confirm it.
    const bool drop = size < -6 * sigma && -size >= 0.01 * std::fabs(pre);
    const bool lasting = post - pre_long < -6 * sigma && pre_long - post >= 0.01 * std::fabs(pre);
    if (drop && lasting) shifts.push_back({end, size});
  }
  return shifts;
}

std::vector<double> RemoveLevelShifts(std::span<const double> y,
                                      const std::vector<LevelShift>& shifts) {
  std::vector<double> out(y.begin(), y.end());
  double later = 0;  // sum of the shifts after the current point
  size_t k = shifts.size();
  for (size_t i = out.size(); i-- > 0;) {
    while (k > 0 && shifts[k - 1].index > i) later += shifts[--k].size;
    out[i] += later;
  }
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
  double daily_ratio = -1;
  for (const Candidate& c : candidates) {
    const double steps = c.period_s / step_s;
    const size_t m = static_cast<size_t>(std::llround(steps));
    if (m < 2 || std::fabs(steps - static_cast<double>(m)) > 0.01 * steps) continue;
    if (y.size() < 3 * m) continue;
    const Strength s = SeasonalStrength(y, m);
    if (!s.qualifies) continue;
    if (best.period > 1 && s.ratio < daily_ratio + 0.1) continue;
    if (best.period == 1) daily_ratio = s.ratio;
    best = {m, c.name, s.ratio};
  }
  return best;
}

}  // namespace sfsg
