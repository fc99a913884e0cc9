#include "predictor/models.h"

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>

#include "generator/util/hash.h"
#include "predictor/config.h"
#include "predictor/series.h"

namespace sfsg {
namespace {

// A level change within the last `w` points (the window recent_median takes its level
// from): the number k of last points (3 <= k <= w - 3) that all lie beyond every point
// before them by the widest gap, when that gap exceeds config::kRecentChangeSigmas times
// the noise (the one-step changes' MAD over the last 4w points, as a standard deviation);
// else 0. After a step the window's median lagged the new level by up to half the window
// (CPU that stepped from 6% to 15% 20 minutes before an origin: 23.5 where the last value
// scored 2.5); bursts, whose points straddle the old level, are not a change.
size_t RecentLevelChange(std::span<const double> y, size_t w) {
  const size_t n = y.size();
  if (w < 6 || n < w + 2) return 0;
  const size_t span = std::min(n - 1, 4 * w);
  std::vector<double> diffs;
  for (size_t i = n - span; i < n; ++i) diffs.push_back(std::fabs(y[i] - y[i - 1]));
  const double noise = 1.4826 * Median(diffs) / std::sqrt(2.0);
  if (!(noise > 0)) return 0;
  const std::span<const double> win = y.last(w);
  size_t best_k = 0;
  double best = 0;
  for (size_t k = 3; k + 3 <= w; ++k) {
    const auto split = win.end() - static_cast<std::ptrdiff_t>(k);
    const auto [lo_a, hi_a] = std::minmax_element(split, win.end());
    const auto [lo_b, hi_b] = std::minmax_element(win.begin(), split);
    // The two sides apart: every point after beyond every point before.
    const double gap = std::max(*lo_a - *hi_b, *lo_b - *hi_a);
    if (gap > config::kRecentChangeSigmas * noise && gap > best) best = gap, best_k = k;
  }
  return best_k;
}

struct Line {
  double intercept = 0;  // value at index 0
  double slope = 0;      // per step
};

// Least squares over y[i] = a + b (first + i), computed around the mean index so long
// series keep their precision.
Line FitLine(std::span<const double> y, size_t first = 0) {
  const size_t n = y.size();
  if (n == 0) return {};
  if (n == 1) return {y[0], 0};
  const double x_mean = (static_cast<double>(n) - 1) / 2;
  double y_mean = 0;
  for (double v : y) y_mean += v;
  y_mean /= static_cast<double>(n);
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dx = static_cast<double>(i) - x_mean;
    sxy += dx * (y[i] - y_mean);
    sxx += dx * dx;
  }
  const double slope = sxy / sxx;
  return {y_mean - slope * (x_mean + static_cast<double>(first)), slope};
}

// Mean residual per phase (i mod m), centred so the indices sum to zero.
std::vector<double> SeasonalIndices(std::span<const double> y, const Line& line, size_t m) {
  std::vector<double> sum(m, 0);
  std::vector<double> count(m, 0);
  for (size_t i = 0; i < y.size(); ++i) {
    sum[i % m] += y[i] - (line.intercept + line.slope * static_cast<double>(i));
    count[i % m] += 1;
  }
  double mean = 0;
  for (size_t p = 0; p < m; ++p) {
    sum[p] = count[p] > 0 ? sum[p] / count[p] : 0;
    mean += sum[p];
  }
  mean /= static_cast<double>(m);
  for (double& s : sum) s -= mean;
  return sum;
}

std::vector<double> Deseasonalize(std::span<const double> y, const std::vector<double>& s) {
  std::vector<double> out(y.begin(), y.end());
  for (size_t i = 0; i < out.size(); ++i) out[i] -= s[i % s.size()];
  return out;
}

// Theil–Sen: the median slope over all pairs, or over 20,000 seeded random pairs when
// there are more (the estimate's spread is then well below the data's).
Line FitTheilSen(std::span<const double> y, uint64_t seed) {
  const size_t n = y.size();
  std::vector<double> slopes;
  constexpr size_t kMaxPairs = 20000;
  if (n * (n - 1) / 2 <= kMaxPairs) {
    for (size_t i = 0; i < n; ++i)
      for (size_t j = i + 1; j < n; ++j)
        slopes.push_back((y[j] - y[i]) / static_cast<double>(j - i));
  } else {
    SplitMixStream stream(HashWords(seed, n, 0x7e11));
    slopes.reserve(kMaxPairs);
    while (slopes.size() < kMaxPairs) {
      const size_t i = stream.NextBelow(n);
      const size_t j = stream.NextBelow(n);
      if (i == j) continue;
      slopes.push_back((y[j] - y[i]) / (static_cast<double>(j) - static_cast<double>(i)));
    }
  }
  Line line;
  line.slope = Median(std::move(slopes));
  std::vector<double> intercepts(n);
  for (size_t i = 0; i < n; ++i) intercepts[i] = y[i] - line.slope * static_cast<double>(i);
  line.intercept = Median(std::move(intercepts));
  return line;
}

std::vector<double> LineForecast(const Line& line, const std::vector<double>& season, size_t n,
                                 size_t steps, ModelFit* fit) {
  std::vector<double> out(steps);
  for (size_t h = 0; h < steps; ++h) {
    const size_t index = n + h;
    out[h] = line.intercept + line.slope * static_cast<double>(index);
    if (!season.empty()) out[h] += season[index % season.size()];
  }
  if (fit) {
    fit->level = line.intercept + line.slope * static_cast<double>(n - 1);
    fit->slope = line.slope;
  }
  return out;
}

// Where the growth rate last changed: the break b in [n/10, 2n/3] minimising the summed
// squared residuals of separate lines over [0, b) and [b, n) (two-segment least squares,
// O(n) from prefix sums); n - n/3 when n < 20 (the recent third).
size_t TrendBreak(std::span<const double> y, double* two_line_sse = nullptr) {
  const size_t n = y.size();
  if (n < 20) return n - n / 3;
  // The sums run on the residuals from the whole history's line about the middle index
  // (a line less a line is a line, so the segments' fits are unchanged), which keeps
  // byte-sized values from cancelling.
  const Line whole = FitLine(y);
  std::vector<double> s1(n + 1, 0), sx(n + 1, 0), sxx(n + 1, 0), sy(n + 1, 0), sxy(n + 1, 0),
      syy(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const double x = static_cast<double>(i) - static_cast<double>(n) / 2;
    const double r = y[i] - (whole.intercept + whole.slope * static_cast<double>(i));
    s1[i + 1] = s1[i] + 1, sx[i + 1] = sx[i] + x, sxx[i + 1] = sxx[i] + x * x;
    sy[i + 1] = sy[i] + r, sxy[i + 1] = sxy[i] + x * r, syy[i + 1] = syy[i] + r * r;
  }
  auto sse = [&](size_t a, size_t b) {
    const double c = s1[b] - s1[a], x = sx[b] - sx[a], xx = sxx[b] - sxx[a];
    const double yy = sy[b] - sy[a], xy = sxy[b] - sxy[a], y2 = syy[b] - syy[a];
    const double vxx = xx - x * x / c, vxy = xy - x * yy / c, vyy = y2 - yy * yy / c;
    return vxx > 0 ? std::max(0.0, vyy - vxy * vxy / vxx) : std::max(0.0, vyy);
  };
  size_t best = 0;
  double best_sse = sse(0, n);
  for (size_t b = n / 10; b <= 2 * n / 3; ++b) {
    const double v = sse(0, b) + sse(b, n);
    if (v < best_sse) best_sse = v, best = b;
  }
  if (two_line_sse) *two_line_sse = best_sse;
  return best;
}

// How many of the last points set a line's recent level (their median residual): a tenth
// of the history, at least 3, at most a season (or 24 points without one).
size_t RecentLevelPoints(size_t n, size_t season) {
  return std::clamp<size_t>(n / 10, std::min<size_t>(3, n), season > 1 ? season : 24);
}

// The history less its season's profile about its line (when season > 1 and it spans two
// seasons), else the history.
std::vector<double> WithoutSeasonProfile(std::span<const double> y, size_t season) {
  if (season > 1 && y.size() >= 2 * season)
    return Deseasonalize(y, SeasonalIndices(y, FitLine(y), season));
  return std::vector<double>(y.begin(), y.end());
}

// The history since the growth rate last changed (at least the recent third and
// min_recent_window), its line, and with a season (two periods in the window at least) the
// season's profile about the line. Not when the window was stretched to the horizon
// (min_recent_window) unless keep_season: the backtest then scores a shorter lead than the
// path is used for, and recent_linear with the season's shape fitted on that window chose
// worse (scripts/bench-forecast); compound keeps it (its curve starts from a level).
struct RecentFit {
  size_t window = 0;
  Line line;                   // over the window's indices
  std::vector<double> season;  // indexed by window index mod season; empty: none
  double Phase(size_t i) const { return season.empty() ? 0.0 : season[i % season.size()]; }
};

RecentFit FitRecent(std::span<const double> y, const ModelOptions& options,
                    bool keep_season = false) {
  const size_t n = y.size();
  RecentFit fit;
  fit.window = std::max<size_t>({3, n - TrendBreak(y), std::min(options.min_recent_window, n)});
  const std::span<const double> recent = y.last(fit.window);
  fit.line = FitLine(recent);
  const size_t m = options.season;
  if (m > 1 && fit.window >= 2 * m && (options.min_recent_window == 0 || keep_season)) {
    fit.season = SeasonalIndices(recent, fit.line, m);
    fit.line = FitLine(Deseasonalize(recent, fit.season));
    fit.season = SeasonalIndices(recent, fit.line, m);
  }
  return fit;
}

// The recent line from the last point. With a season the path keeps the season's shape
// about the line and starts from the last point's level without its phase: a last point
// at a daily high would otherwise lift the whole path by that high.
std::vector<double> RecentLinearForecast(std::span<const double> y, size_t steps,
                                         const ModelOptions& options, ModelFit* fit) {
  const size_t n = y.size();
  const RecentFit recent = FitRecent(y, options);
  const double level = y[n - 1] - recent.Phase(recent.window - 1);
  std::vector<double> out(steps);
  for (size_t h = 0; h < steps; ++h)
    out[h] =
        level + recent.line.slope * static_cast<double>(h + 1) + recent.Phase(recent.window + h);
  if (fit) *fit = {y[n - 1], recent.line.slope, 0, 0, 0, 0, ""};
  return out;
}

// Beyond a millionfold the compound path stays flat: far past any threshold, and finite
// however far ahead it is asked for.
constexpr double kMaxLogGrowth = 13.8;  // ln(1e6)

// Growth at a constant rate: the recent line of the logarithms from the recent level,
// exp(level + g h), the season a factor (kept when the window is stretched to the
// horizon: a daily swing left in would move the curve's start by the last point's phase).
std::vector<double> CompoundForecast(std::span<const double> y, size_t steps,
                                     const ModelOptions& options, ModelFit* fit) {
  const size_t n = y.size();
  const bool positive =
      std::all_of(y.begin(), y.end(), [](double v) { return std::isfinite(v) && v > 0; });
  if (!positive) return RecentLinearForecast(y, steps, options, fit);
  std::vector<double> logs(n);
  for (size_t i = 0; i < n; ++i) logs[i] = std::log(y[i]);
  const RecentFit recent = FitRecent(logs, options, true);
  // No growth to compound: a flat or shrinking series' rate is the recent line's.
  if (!(recent.line.slope > 0)) return RecentLinearForecast(y, steps, options, fit);
  // From the recent level, as kLinear: the log-line's value at the last point moved by the
  // median residual of the last k points. From the last point itself, its noise moved the
  // whole curve, the backtest scored a line better at a month ahead, and a line was chosen
  // for 4%-a-week compounding: 58% late on its fill date (now 2%).
  const size_t w = recent.window;
  const size_t k = RecentLevelPoints(n, options.season);
  std::vector<double> residuals;
  for (size_t i = w - std::min(k, w); i < w; ++i)
    residuals.push_back(logs[n - w + i] - recent.line.intercept -
                        recent.line.slope * static_cast<double>(i) - recent.Phase(i));
  const double level = recent.line.intercept + recent.line.slope * static_cast<double>(w - 1) +
                       Median(std::move(residuals));
  std::vector<double> out(steps);
  for (size_t h = 0; h < steps; ++h)
    out[h] =
        std::exp(level + std::min(recent.line.slope * static_cast<double>(h + 1), kMaxLogGrowth) +
                 recent.Phase(recent.window + h));
  if (fit)
    *fit = {std::exp(level), std::exp(level) * std::expm1(recent.line.slope), 0, 0, 0, 0, ""};
  return out;
}

std::vector<double> RegressionForecast(ModelKind kind, std::span<const double> y, size_t steps,
                                       const ModelOptions& options, ModelFit* fit) {
  const size_t n = y.size();
  const size_t m = options.season;
  Line line = FitLine(y);
  std::vector<double> season;
  if (m > 1 && n >= 2 * m) {
    // Two rounds of trend, then seasonal indices of the residuals: enough to separate a
    // line from a periodic profile when the history spans several periods.
    season = SeasonalIndices(y, line, m);
    line = FitLine(Deseasonalize(y, season));
    season = SeasonalIndices(y, line, m);
  }
  if (kind == ModelKind::kTheilSen) {
    line = season.empty() ? FitTheilSen(y, options.seed)
                          : FitTheilSen(Deseasonalize(y, season), options.seed);
    if (!season.empty()) season = SeasonalIndices(y, line, m);
  }
  // From the recent level: the line moves by the median residual of the last k points, so
  // the forecast starts where the series is, not where the whole history's line ends.
  const size_t k = RecentLevelPoints(n, m);
  std::vector<double> residuals;
  for (size_t i = n - k; i < n; ++i) {
    double fitted = line.intercept + line.slope * static_cast<double>(i);
    if (!season.empty()) fitted += season[i % m];
    residuals.push_back(y[i] - fitted);
  }
  line.intercept += Median(std::move(residuals));
  return LineForecast(line, season, n, steps, fit);
}

// Exponential smoothing with an optional (damped) trend; returns the one-step squared
// error sum and the final state. trend_on false: simple smoothing (no trend).
double RunEts(std::span<const double> y, bool trend_on, double alpha, double beta, double phi,
              double& level, double& trend) {
  const size_t warm = std::min<size_t>(y.size(), 10);
  level = y[0];
  trend = trend_on ? FitLine(y.first(warm)).slope : 0;
  double sse = 0;
  for (size_t t = 1; t < y.size(); ++t) {
    const double predicted = level + phi * trend;
    const double error = y[t] - predicted;
    sse += error * error;
    level = predicted + alpha * error;
    trend = trend_on ? phi * trend + alpha * beta * error : 0;
  }
  return sse;
}

struct EtsChoice {
  bool trend_on = false;
  double alpha = 0.3, beta = 0, phi = 1, sse = 0;
};

// The best smoothing parameters of one trend form on a grid (SSE).
EtsChoice FitEtsForm(std::span<const double> y, bool trend_on, bool damped) {
  static const double kAlpha[] = {0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.95};
  static const double kBeta[] = {0.01, 0.05, 0.15, 0.4};  // fraction of alpha (beta* <= alpha)
  static const double kPhi[] = {0.8, 0.9, 0.95, 0.98};
  static const double kNoDamping[] = {1.0};
  static const double kNoBeta[] = {0.0};
  EtsChoice best;
  best.trend_on = trend_on;
  best.sse = std::numeric_limits<double>::infinity();
  const std::span<const double> betas = trend_on ? std::span<const double>(kBeta) : kNoBeta;
  const std::span<const double> phis = damped ? std::span<const double>(kPhi) : kNoDamping;
  for (double a : kAlpha)
    for (double b : betas)
      for (double p : phis) {
        double l = 0, t = 0;
        const double sse = RunEts(y, trend_on, a, b, p, l, t);
        if (sse < best.sse) best.sse = sse, best.alpha = a, best.beta = b, best.phi = p;
      }
  return best;
}

// ETS(A,N,N), ETS(A,A,N) and ETS(A,Ad,N) compared by AICc (Hurvich & Tsai 1989), with
// the parameter counts of Hyndman et al. (2008): smoothing parameters plus initial states.
std::vector<double> EtsForecast(std::span<const double> y, size_t steps, ModelFit* fit) {
  const double n = static_cast<double>(y.size() - 1);  // one-step errors
  struct Form {
    const char* name;
    bool trend, damped;
    double k;
  };
  const Form forms[] = {
      {"none", false, false, 2}, {"additive", true, false, 4}, {"damped", true, true, 5}};
  EtsChoice chosen;
  const char* chosen_name = "none";
  double best_aicc = std::numeric_limits<double>::infinity();
  for (const Form& f : forms) {
    if (n - f.k - 1 <= 0) continue;
    const EtsChoice c = FitEtsForm(y, f.trend, f.damped);
    const double mse = std::max(c.sse / n, 1e-300);
    const double aicc = n * std::log(mse) + 2 * f.k + 2 * f.k * (f.k + 1) / (n - f.k - 1);
    if (aicc < best_aicc) best_aicc = aicc, chosen = c, chosen_name = f.name;
  }
  double level = 0, trend = 0;
  RunEts(y, chosen.trend_on, chosen.alpha, chosen.beta, chosen.phi, level, trend);
  std::vector<double> out(steps);
  double damped_sum = 0, power = 1;
  for (size_t h = 0; h < steps; ++h) {
    power *= chosen.phi;
    damped_sum += power;
    out[h] = level + damped_sum * trend;
  }
  if (fit) {
    *fit = {level, trend, chosen.alpha, chosen.beta, 0, chosen.phi, chosen_name};
  }
  return out;
}

// Theta (Hyndman & Billah 2003): simple exponential smoothing of the (deseasonalised)
// series plus half the least-squares slope, with their drift correction.
std::vector<double> ThetaForecast(std::span<const double> y, size_t steps,
                                  const ModelOptions& options, ModelFit* fit) {
  const size_t n = y.size();
  const size_t m = options.season;
  std::vector<double> season;
  std::vector<double> work(y.begin(), y.end());
  if (m > 1 && n >= 2 * m) {
    season = SeasonalIndices(y, FitLine(y), m);
    work = Deseasonalize(y, season);
  }
  const Line line = FitLine(work);
  const EtsChoice ses = FitEtsForm(work, false, false);
  double level = 0, trend = 0;
  RunEts(work, false, ses.alpha, 0, 1, level, trend);
  const double a = ses.alpha;
  const double correction = (1 - std::pow(1 - a, static_cast<double>(n))) / a;
  std::vector<double> out(steps);
  for (size_t h = 0; h < steps; ++h) {
    out[h] = level + line.slope / 2 * (static_cast<double>(h) + correction);
    if (!season.empty()) out[h] += season[(n + h) % m];
  }
  if (fit) *fit = {level, line.slope / 2, a, 0, 0, 1, ""};
  return out;
}

// Whole grid steps per day, or 0 when the step does not divide a day into at least 2.
size_t StepsPerDay(double step_s) {
  if (!(step_s > 0)) return 0;
  const double d = 86400 / step_s;
  const size_t steps = static_cast<size_t>(std::llround(d));
  return steps >= 2 && std::fabs(d - static_cast<double>(steps)) < 1e-6 * d ? steps : 0;
}

// Centred moving average of y over m steps (2 x m when m is even: half weight on the two
// end points), at i in [m / 2, n - m / 2); NaN elsewhere.
std::vector<double> CentredAverage(std::span<const double> y, size_t m) {
  const size_t n = y.size(), half = m / 2;
  std::vector<double> prefix(n + 1, 0), out(n, std::nan(""));
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + y[i];
  for (size_t i = half; i + half < n; ++i) {
    double sum = prefix[i + half + 1] - prefix[i - half];
    if (m % 2 == 0) sum -= 0.5 * (y[i - half] + y[i + half]);
    out[i] = sum / static_cast<double>(m);
  }
  return out;
}

// Daily and weekly cycles together, over the last four weeks at most: the deviations from
// a centred one-day moving average give an hour-of-day profile; the series less it, about
// a centred one-week moving average, a day-of-week profile (a one-day average follows the
// weekly swing, so what it leaves holds none of it). The forecast is the last day's
// deseasonalised mean level plus the recent weeks' slope, plus both profiles.
std::vector<double> DailyWeeklyForecast(std::span<const double> all, size_t steps,
                                        const ModelOptions& options, ModelFit* fit) {
  const size_t d = StepsPerDay(options.step_s), w = 7 * d;
  const size_t n_all = all.size();
  const size_t used = std::min(n_all, 4 * w);
  const size_t offset = n_all - used;  // phases are counted from index 0 of `all`
  const std::span<const double> y = all.subspan(offset);
  std::vector<double> hour(d, 0), hour_count(d, 0), day(7, 0), day_count(7, 0);
  const std::vector<double> daily_average = CentredAverage(y, d);
  for (size_t i = 0; i < used; ++i) {
    if (std::isnan(daily_average[i])) continue;
    hour[(offset + i) % d] += y[i] - daily_average[i];
    hour_count[(offset + i) % d] += 1;
  }
  double hour_mean = 0;
  for (size_t p = 0; p < d; ++p) {
    hour[p] = hour_count[p] > 0 ? hour[p] / hour_count[p] : 0;
    hour_mean += hour[p] / static_cast<double>(d);
  }
  for (double& v : hour) v -= hour_mean;
  std::vector<double> without_hour(used);
  for (size_t i = 0; i < used; ++i) without_hour[i] = y[i] - hour[(offset + i) % d];
  const std::vector<double> weekly_average = CentredAverage(without_hour, w);
  for (size_t i = 0; i < used; ++i) {
    if (std::isnan(weekly_average[i])) continue;
    const size_t q = ((offset + i) / d) % 7;
    day[q] += without_hour[i] - weekly_average[i];
    day_count[q] += 1;
  }
  double day_mean = 0;
  for (size_t q = 0; q < 7; ++q) {
    day[q] = day_count[q] > 0 ? day[q] / day_count[q] : 0;
    day_mean += day[q] / 7;
  }
  for (double& v : day) v -= day_mean;
  auto profile = [&](size_t index) { return hour[index % d] + day[(index / d) % 7]; };
  std::vector<double> plain(used);
  for (size_t i = 0; i < used; ++i) plain[i] = y[i] - profile(offset + i);
  const Line line = FitLine(plain);
  double level = 0;
  for (size_t i = used - d; i < used; ++i) level += plain[i];
  level = level / static_cast<double>(d) + line.slope * (static_cast<double>(d) - 1) / 2;
  std::vector<double> out(steps);
  for (size_t h = 0; h < steps; ++h)
    out[h] = level + line.slope * static_cast<double>(h + 1) + profile(n_all + h);
  if (fit) *fit = {level, line.slope, 0, 0, 0, 0, ""};
  return out;
}

struct HwState {
  double level = 0, trend = 0;
  std::vector<double> season;  // indexed by t % m
};

// Additive Holt–Winters; initial state from the first two seasons (Hyndman et al. 2008,
// section 2.6.1 simplified); returns the one-step squared error sum after them.
double RunHoltWinters(std::span<const double> y, size_t m, double alpha, double beta, double gamma,
                      HwState& state) {
  double first = 0, second = 0;
  for (size_t i = 0; i < m; ++i) first += y[i], second += y[m + i];
  first /= static_cast<double>(m);
  second /= static_cast<double>(m);
  state.trend = (second - first) / static_cast<double>(m);
  state.season.assign(m, 0);
  for (size_t i = 0; i < m; ++i) {
    const double trend_at_i = first + (static_cast<double>(i) - (m - 1) / 2.0) * state.trend;
    state.season[i] = y[i] - trend_at_i;
  }
  state.level = first + (m - 1) / 2.0 * state.trend;
  double sse = 0;
  size_t phase = 0;
  for (size_t t = m; t < y.size(); ++t) {
    double& s = state.season[phase];
    const double predicted = state.level + state.trend + s;
    const double error = y[t] - predicted;
    if (t >= 2 * m) sse += error * error;
    const double new_level = alpha * (y[t] - s) + (1 - alpha) * (state.level + state.trend);
    state.trend = beta * (new_level - state.level) + (1 - beta) * state.trend;
    s = gamma * (y[t] - new_level) + (1 - gamma) * s;
    state.level = new_level;
    if (++phase == m) phase = 0;
  }
  return sse;
}

std::vector<double> HoltWintersForecast(std::span<const double> y, size_t m, size_t steps,
                                        ModelFit* fit) {
  static const double kAlpha[] = {0.05, 0.1, 0.2, 0.4, 0.7};
  static const double kBeta[] = {0.0, 0.01, 0.05, 0.2};
  static const double kGamma[] = {0.01, 0.05, 0.15, 0.4};
  double best = std::numeric_limits<double>::infinity();
  double alpha = 0.2, beta = 0.01, gamma = 0.05;
  HwState state;
  for (double a : kAlpha)
    for (double b : kBeta)
      for (double g : kGamma) {
        const double sse = RunHoltWinters(y, m, a, b, g, state);
        if (sse < best) best = sse, alpha = a, beta = b, gamma = g;
      }
  RunHoltWinters(y, m, alpha, beta, gamma, state);
  const size_t n = y.size();
  std::vector<double> out(steps);
  for (size_t h = 0; h < steps; ++h)
    out[h] = state.level + static_cast<double>(h + 1) * state.trend + state.season[(n + h) % m];
  if (fit) *fit = {state.level, state.trend, alpha, beta, gamma, 1, ""};
  return out;
}

}  // namespace

bool IsBaseline(ModelKind kind) {
  return std::find(std::begin(kBaselineModels), std::end(kBaselineModels), kind) !=
         std::end(kBaselineModels);
}

std::string_view ModelName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kDrift:
      return "drift";
    case ModelKind::kNaive:
      return "naive";
    case ModelKind::kSeasonalNaive:
      return "seasonal_naive";
    case ModelKind::kLinear:
      return "linear";
    case ModelKind::kRecentLinear:
      return "recent_linear";
    case ModelKind::kCompound:
      return "compound";
    case ModelKind::kTheilSen:
      return "theil_sen";
    case ModelKind::kTheta:
      return "theta";
    case ModelKind::kEts:
      return "ets";
    case ModelKind::kHoltWinters:
      return "holt_winters";
    case ModelKind::kDailyWeekly:
      return "daily_weekly";
    case ModelKind::kCombination:
      return "combination";
    case ModelKind::kPredictLinear:
      return "predict_linear";
    case ModelKind::kRecentMedian:
      return "recent_median";
    case ModelKind::kSeasonalMedian:
      return "seasonal_median";
  }
  return "unknown";
}

bool ModelApplies(ModelKind kind, size_t n, const ModelOptions& options) {
  switch (kind) {
    case ModelKind::kHoltWinters:
      return options.season > 1 && n >= 2 * options.season + 2;
    case ModelKind::kSeasonalNaive:
      return n >= std::max<size_t>(options.season, 1);
    case ModelKind::kSeasonalMedian:
      return options.season > 1 && n >= 2 * options.season;
    case ModelKind::kDailyWeekly: {
      const size_t d = StepsPerDay(options.step_s);
      return d > 0 && d <= 288 && n >= 14 * d;
    }
    case ModelKind::kCombination:
      return false;
    case ModelKind::kNaive:
      return n >= 1;
    default:
      return n >= 3;
  }
}

std::vector<double> FitAndForecast(ModelKind kind, std::span<const double> train, size_t steps,
                                   const ModelOptions& options, ModelFit* fit) {
  const size_t n = train.size();
  switch (kind) {
    case ModelKind::kLinear:
    case ModelKind::kTheilSen:
      return RegressionForecast(kind, train, steps, options, fit);
    case ModelKind::kDrift: {
      const double slope = n > 1 ? (train[n - 1] - train[0]) / static_cast<double>(n - 1) : 0;
      std::vector<double> out(steps);
      for (size_t h = 0; h < steps; ++h) out[h] = train[n - 1] + slope * static_cast<double>(h + 1);
      if (fit) *fit = {train[n - 1], slope, 0, 0, 0, 0, ""};
      return out;
    }
    case ModelKind::kNaive: {
      if (fit) *fit = {train[n - 1], 0, 0, 0, 0, 0, ""};
      return std::vector<double>(steps, train[n - 1]);
    }
    case ModelKind::kRecentLinear:
      return RecentLinearForecast(train, steps, options, fit);
    case ModelKind::kCompound:
      return CompoundForecast(train, steps, options, fit);
    case ModelKind::kTheta:
      return ThetaForecast(train, steps, options, fit);
    case ModelKind::kEts:
      return EtsForecast(train, steps, fit);
    case ModelKind::kHoltWinters:
      return HoltWintersForecast(train, options.season, steps, fit);
    case ModelKind::kDailyWeekly:
      return DailyWeeklyForecast(train, steps, options, fit);
    case ModelKind::kSeasonalNaive: {
      const size_t m = std::max<size_t>(options.season, 1);
      std::vector<double> out(steps);
      for (size_t h = 0; h < steps; ++h) out[h] = train[n - m + h % m];
      if (fit) *fit = {train[n - 1], 0, 0, 0, 0, 0, ""};
      return out;
    }
    case ModelKind::kPredictLinear: {
      const size_t window = options.linear_window >= 2 ? std::min(options.linear_window, n) : n;
      const Line line = FitLine(train.last(window), n - window);
      return LineForecast(line, {}, n, steps, fit);
    }
    case ModelKind::kRecentMedian: {
      const size_t w = std::min(n, std::clamp<size_t>(n / 10, 3, 24));
      std::vector<double> last(train.end() - static_cast<std::ptrdiff_t>(w), train.end());
      double level = Median(last);
      if (const size_t k = RecentLevelChange(train, w); k > 0)
        level =
            Median(std::vector<double>(train.end() - static_cast<std::ptrdiff_t>(k), train.end()));
      if (fit) *fit = {level, 0, 0, 0, 0, 0, ""};
      return std::vector<double>(steps, level);
    }
    case ModelKind::kSeasonalMedian: {
      const size_t m = options.season, k = std::min<size_t>(n / m, 4);
      std::vector<double> profile(m);
      for (size_t p = 0; p < m; ++p) {
        std::vector<double> v;
        for (size_t j = 1; j <= k; ++j) v.push_back(train[n - j * m + p]);
        profile[p] = Median(v);
      }
      std::vector<double> out(steps);
      for (size_t h = 0; h < steps; ++h) out[h] = profile[h % m];
      if (fit) *fit = {train[n - 1], 0, 0, 0, 0, 0, ""};
      return out;
    }
    case ModelKind::kCombination:
      break;
  }
  return std::vector<double>(steps, train[n - 1]);
}

LineNoise FitLineNoise(std::span<const double> y) {
  LineNoise out;
  const double n = static_cast<double>(y.size());
  if (y.size() < 3) return out;
  const double mean_x = (n - 1) / 2;
  double mean_y = 0;
  for (double v : y) mean_y += v / n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const double dx = static_cast<double>(i) - mean_x;
    sxx += dx * dx, sxy += dx * (y[i] - mean_y);
  }
  out.slope = sxy / sxx;
  std::vector<double> r(y.size());
  double ss = 0, lagged = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    r[i] = y[i] - mean_y - out.slope * (static_cast<double>(i) - mean_x);
    ss += r[i] * r[i];
    if (i > 0) lagged += r[i] * r[i - 1];
  }
  out.residual_sd = std::sqrt(ss / (n - 2));
  out.lag1 = ss > 0 ? lagged / ss : 0;
  return out;
}

double SlopeStderr(const LineNoise& noise, size_t n) {
  const double rho = std::clamp(noise.lag1, 0.0, 0.95);
  const double m = static_cast<double>(n);
  return noise.residual_sd * std::sqrt((1 + rho) / (1 - rho)) * std::sqrt(12 / (m * (m * m - 1)));
}

double CurvatureStderrs(std::span<const double> y, size_t season, std::span<const size_t> steps) {
  const size_t n = y.size();
  if (n < 8) return 0;
  const std::vector<double> z = WithoutSeasonProfile(y, season);
  // Least squares on 1, x, x^2 (about the middle index) and a step indicator per modelled
  // level step (0 before it, 1 from it): a step's size, re-estimated with the curve, does
  // not read as curvature (the error of an import's estimated size, left in the series it
  // was taken out of, curved 2.6 standard errors).
  std::vector<size_t> at;
  for (size_t s : steps)
    if (s >= 2 && s + 2 <= n && std::find(at.begin(), at.end(), s) == at.end()) at.push_back(s);
  const Eigen::Index columns = 3 + static_cast<Eigen::Index>(at.size());
  if (static_cast<Eigen::Index>(n) <= columns + 1) return 0;
  const double middle = (static_cast<double>(n) - 1) / 2;
  const double scale = std::max(1.0, middle);
  Eigen::MatrixXd x(static_cast<Eigen::Index>(n), columns);
  Eigen::VectorXd target(static_cast<Eigen::Index>(n));
  for (size_t i = 0; i < n; ++i) {
    const auto row = static_cast<Eigen::Index>(i);
    const double u = (static_cast<double>(i) - middle) / scale;
    x(row, 0) = 1, x(row, 1) = u, x(row, 2) = u * u;
    for (size_t j = 0; j < at.size(); ++j)
      x(row, 3 + static_cast<Eigen::Index>(j)) = i >= at[j] ? 1.0 : 0.0;
    target(row) = z[i];
  }
  const Eigen::MatrixXd gram = x.transpose() * x;
  const Eigen::LDLT<Eigen::MatrixXd> solver(gram);
  if (solver.info() != Eigen::Success) return 0;
  const Eigen::VectorXd beta = solver.solve(x.transpose() * target);
  const Eigen::VectorXd residual = target - x * beta;
  double ss = 0, lagged = 0;
  for (Eigen::Index i = 0; i < residual.size(); ++i) {
    ss += residual(i) * residual(i);
    if (i > 0) lagged += residual(i) * residual(i - 1);
  }
  const Eigen::VectorXd unit = Eigen::VectorXd::Unit(columns, 2);
  const double variance_c = solver.solve(unit)(2);
  // Residuals as correlated as a random walk's (cumulative bursts) count for nearly one
  // point each: the cap is 0.999 (SlopeStderr's 0.95 left 14 days of 5-minute bursts
  // "curving" beyond 3 standard errors).
  const double rho = std::clamp(ss > 0 ? lagged / ss : 0.0, 0.0, 0.999);
  const double se = std::sqrt(std::max(0.0, ss / static_cast<double>(n - columns) * variance_c)) *
                    std::sqrt((1 + rho) / (1 - rho));
  return se > 0 ? beta(2) / se : 0;
}

bool CurveOverTwoLines(std::span<const double> y, size_t season) {
  const size_t n = y.size();
  if (n < 20) return false;
  const std::vector<double> z = WithoutSeasonProfile(y, season);
  if (!std::all_of(z.begin(), z.end(), [](double v) { return std::isfinite(v) && v > 0; }))
    return false;
  std::vector<double> logs(n);
  for (size_t i = 0; i < n; ++i) logs[i] = std::log(z[i]);
  const Line curve = FitLine(logs);
  double curve_sse = 0;
  for (size_t i = 0; i < n; ++i) {
    const double r = z[i] - std::exp(curve.intercept + curve.slope * static_cast<double>(i));
    curve_sse += r * r;
  }
  double lines_sse = 0;
  TrendBreak(z, &lines_sse);
  if (!(lines_sse > 0)) return false;
  const double m = static_cast<double>(n);
  return m * std::log(curve_sse) + 2 * std::log(m) <= m * std::log(lines_sse) + 5 * std::log(m);
}

}  // namespace sfsg
