#include "predictor/models.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "generator/util/hash.h"
#include "predictor/series.h"

namespace sfsg {
namespace {

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
  return LineForecast(line, season, n, steps, fit);
}

// Damped-trend smoothing; returns the one-step squared error sum and the final state.
double RunDampedHolt(std::span<const double> y, double alpha, double beta, double phi,
                     double& level, double& trend) {
  const size_t warm = std::min<size_t>(y.size(), 10);
  level = y[0];
  trend = FitLine(y.first(warm)).slope;
  double sse = 0;
  for (size_t t = 1; t < y.size(); ++t) {
    const double predicted = level + phi * trend;
    const double error = y[t] - predicted;
    sse += error * error;
    const double new_level = predicted + alpha * error;
    trend = phi * trend + alpha * beta * error;
    level = new_level;
  }
  return sse;
}

std::vector<double> DampedHoltForecast(std::span<const double> y, size_t steps, ModelFit* fit) {
  static const double kAlpha[] = {0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.95};
  static const double kBeta[] = {0.01, 0.05, 0.15, 0.4};  // fraction of alpha (beta* <= alpha)
  static const double kPhi[] = {0.8, 0.9, 0.95, 0.98};
  double best = std::numeric_limits<double>::infinity();
  double alpha = 0.3, beta = 0.1, phi = 0.95, level = 0, trend = 0;
  for (double a : kAlpha)
    for (double b : kBeta)
      for (double p : kPhi) {
        double l = 0, t = 0;
        const double sse = RunDampedHolt(y, a, b, p, l, t);
        if (sse < best) best = sse, alpha = a, beta = b, phi = p;
      }
  RunDampedHolt(y, alpha, beta, phi, level, trend);
  std::vector<double> out(steps);
  double damped_sum = 0, power = 1;
  for (size_t h = 0; h < steps; ++h) {
    power *= phi;
    damped_sum += power;
    out[h] = level + damped_sum * trend;
  }
  if (fit) *fit = {level, trend, alpha, beta, 0, phi};
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
  if (fit) *fit = {state.level, state.trend, alpha, beta, gamma, 1};
  return out;
}

}  // namespace

std::string_view ModelName(ModelKind kind) {
  switch (kind) {
    case ModelKind::kLinear:
      return "linear";
    case ModelKind::kTheilSen:
      return "theil_sen";
    case ModelKind::kDampedHolt:
      return "damped_holt";
    case ModelKind::kHoltWinters:
      return "holt_winters";
    case ModelKind::kSeasonalNaive:
      return "seasonal_naive";
    case ModelKind::kPredictLinear:
      return "predict_linear";
  }
  return "unknown";
}

bool ModelApplies(ModelKind kind, size_t n, const ModelOptions& options) {
  if (kind == ModelKind::kHoltWinters) return options.season > 1 && n >= 2 * options.season + 2;
  if (kind == ModelKind::kSeasonalNaive) return n >= std::max<size_t>(options.season, 1);
  return n >= 3;
}

std::vector<double> FitAndForecast(ModelKind kind, std::span<const double> train, size_t steps,
                                   const ModelOptions& options, ModelFit* fit) {
  const size_t n = train.size();
  switch (kind) {
    case ModelKind::kLinear:
    case ModelKind::kTheilSen:
      return RegressionForecast(kind, train, steps, options, fit);
    case ModelKind::kDampedHolt:
      return DampedHoltForecast(train, steps, fit);
    case ModelKind::kHoltWinters:
      return HoltWintersForecast(train, options.season, steps, fit);
    case ModelKind::kSeasonalNaive: {
      const size_t m = std::max<size_t>(options.season, 1);
      std::vector<double> out(steps);
      for (size_t h = 0; h < steps; ++h) out[h] = train[n - m + h % m];
      if (fit) *fit = {train[n - 1], 0, 0, 0, 0, 0};
      return out;
    }
    case ModelKind::kPredictLinear: {
      const size_t window = options.linear_window >= 2 ? std::min(options.linear_window, n) : n;
      const Line line = FitLine(train.last(window), n - window);
      return LineForecast(line, {}, n, steps, fit);
    }
  }
  return std::vector<double>(steps, train[n - 1]);
}

}  // namespace sfsg
