// sfsg-bench-forecast: how sfsg's forecast compares with the best simple baseline on the
// same rolling origins (scripts/bench-forecast runs it; not a test, not installed).
//
//   sfsg-bench-forecast [--origins N] [--only SUBSTRING] [--verbose] [--diagnose] NAB_DIR
//
// Cases: every NAB CSV in NAB_DIR as it is (native step) and as its cumulative sum (a
// growth series, hourly for 1 and 7 days ahead, daily for 30 and 90), plus the constructed
// storage scenarios (predictor/scenarios.h, continued 90 days with the same noise), at
// 1, 7, 30 and 90 days ahead when each origin has twice the horizon behind it (Classify;
// series of 2-3 horizons are short-history cases, apart). Origins (30 unless --origins)
// are spread over the second half of the series. Per case: mean MASE (scaled by the training
// window's one-step naive error) of sfsg's forecast, of each baseline (naive, drift,
// seasonal naive daily and weekly, predict_linear over the horizon), their ratio to the
// best baseline, and the share of actual points inside sfsg's 80% and 95% bands.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "generator/util/hash.h"
#include "predictor/forecast.h"
#include "predictor/scenarios.h"
#include "predictor/series.h"

namespace sfsg {
namespace {

constexpr double kDay = 86400;

struct Grid {
  std::string name;
  std::string column;  // what ForecastSeries is told the series is
  double start = 0, step = 0;
  std::vector<double> y;
};

Series ToSeries(const Grid& g, size_t n) {
  Series s;
  s.name = g.column;
  s.unit = UnitOfColumn(g.column);
  for (size_t i = 0; i < n; ++i) {
    s.time_s.push_back(g.start + g.step * static_cast<double>(i));
    s.values.push_back(g.y[i]);
  }
  s.quality.samples = n;
  s.quality.median_step_s = g.step;
  s.quality.longest_gap_s = g.step;
  return s;
}

// Sums of `factor` consecutive points, cumulated: a growth series at a coarser step.
Grid Cumulative(const Grid& g, size_t factor, const std::string& suffix) {
  Grid out;
  out.name = g.name + " cumsum/" + suffix;
  out.column = "value";
  out.start = g.start + g.step * static_cast<double>(factor - 1);
  out.step = g.step * static_cast<double>(factor);
  double total = 0;
  for (size_t i = 0; i + factor <= g.y.size(); i += factor) {
    for (size_t j = 0; j < factor; ++j) total += g.y[i + j];
    out.y.push_back(total);
  }
  return out;
}

double NaiveScale(const std::vector<double>& y, size_t n) {
  double sum = 0;
  for (size_t i = 1; i < n; ++i) sum += std::fabs(y[i] - y[i - 1]);
  return n > 1 && sum > 0 ? sum / static_cast<double>(n - 1) : 1e-12;
}

std::vector<double> Baseline(const std::string& kind, const std::vector<double>& y, size_t n,
                             size_t h, double step) {
  std::vector<double> out(h);
  if (kind == "naive") {
    std::fill(out.begin(), out.end(), y[n - 1]);
  } else if (kind == "drift") {
    const double slope = (y[n - 1] - y[0]) / static_cast<double>(n - 1);
    for (size_t i = 0; i < h; ++i) out[i] = y[n - 1] + slope * static_cast<double>(i + 1);
  } else if (kind == "snaive_daily" || kind == "snaive_weekly") {
    const size_t m =
        static_cast<size_t>(std::llround((kind == "snaive_daily" ? 1 : 7) * kDay / step));
    if (m < 2 || m > n) return {};
    for (size_t i = 0; i < h; ++i) out[i] = y[n - m + i % m];
  } else {  // predict_linear over the last h points (at least 2)
    const size_t w = std::min(n, std::max<size_t>(2, h));
    double xm = 0, ym = 0;
    for (size_t i = n - w; i < n; ++i) xm += static_cast<double>(i), ym += y[i];
    xm /= static_cast<double>(w), ym /= static_cast<double>(w);
    double sxy = 0, sxx = 0;
    for (size_t i = n - w; i < n; ++i) {
      sxy += (static_cast<double>(i) - xm) * (y[i] - ym);
      sxx += (static_cast<double>(i) - xm) * (static_cast<double>(i) - xm);
    }
    const double b = sxx > 0 ? sxy / sxx : 0;
    for (size_t i = 0; i < h; ++i) out[i] = ym + b * (static_cast<double>(n + i) - xm);
  }
  return out;
}

bool verbose = false;   // --verbose: the model chosen at each origin, to stderr
bool diagnose = false;  // --diagnose: also each model's own error at each origin

struct Outcome {
  double ratio = 0, cover80 = 0, cover95 = 0;
  double ratio_se = 0;  // the ratio's standard error over the origins (RatioStderr)
};

// The ratio's standard error from the origins' paired differences (sfsg's MASE less the
// baseline's), counting as independent only as many origins as there are horizons in the
// span they cover (+1): forecasts whose windows overlap share most of their error.
double RatioStderr(const std::vector<double>& sfsg, const std::vector<double>& base,
                   double base_mean, size_t independent) {
  const size_t n = sfsg.size();
  if (n < 2 || !(base_mean > 0)) return 0;
  double mean = 0, ss = 0;
  for (size_t k = 0; k < n; ++k) mean += (sfsg[k] - base[k]) / static_cast<double>(n);
  for (size_t k = 0; k < n; ++k) ss += std::pow(sfsg[k] - base[k] - mean, 2);
  const double sd = std::sqrt(ss / static_cast<double>(n - 1));
  return sd / std::sqrt(static_cast<double>(std::clamp<size_t>(independent, 1, n))) / base_mean;
}

const char* kBaselines[] = {"naive", "drift", "snaive_daily", "snaive_weekly", "predict_linear"};

// Which origins a case has: "the history allows" the horizon when every origin has at
// least twice the horizon behind it (the M3 and M4 competitions' minimum; what sfsg warns
// under), over the second half of the series. A series of 2-3 horizons is a short-history
// case: its origins keep the second half, with 1-1.5 horizons behind them.
enum class History { kAllows, kShort };

size_t HorizonPoints(const Grid& g, double horizon_days) {
  return static_cast<size_t>(std::llround(horizon_days * kDay / g.step));
}

std::optional<History> Classify(const Grid& g, double horizon_days) {
  const size_t n = g.y.size(), h = HorizonPoints(g, horizon_days);
  if (h < 1 || 2 * h > n) return std::nullopt;
  return 3 * h + 2 <= n ? History::kAllows : History::kShort;  // (three distinct origins)
}

bool RunCase(const Grid& g, double horizon_days, size_t origins_wanted, Outcome& result) {
  const size_t n = g.y.size();
  const size_t h = HorizonPoints(g, horizon_days);
  const std::optional<History> history = Classify(g, horizon_days);
  if (!history) return false;
  const size_t first = history == History::kAllows ? std::max(n / 2, 2 * h) : n / 2;
  const size_t last = n - h;
  if (last < first) return false;
  const size_t count = std::min(origins_wanted, last - first + 1);
  if (count < 3) return false;
  std::map<std::string, double> mase;
  std::map<std::string, std::vector<double>> per_origin;  // each baseline's MASE by origin
  std::vector<double> sfsg_per_origin;
  double sfsg = 0, in80 = 0, in95 = 0, points = 0;
  std::map<std::string, size_t> used;
  for (size_t k = 0; k < count; ++k) {
    const size_t o = first + (last - first) * k / (count - 1);
    const double scale = NaiveScale(g.y, o);
    ForecastOptions options;
    options.horizon_s = horizon_days * kDay;
    auto f = ForecastSeries(ToSeries(g, o), options);
    if (!f.ok()) {
      std::fprintf(stderr, "%s: %s\n", g.name.c_str(), f.error().message.c_str());
      return false;
    }
    if (verbose)
      std::fprintf(stderr,
                   "  %s %.0fd origin %zu: %s, %.2f toward %s (lead %zu, selection %.4f "
                   "against %.4f, baseline %s %.3f)\n",
                   g.name.c_str(), horizon_days, o, std::string(ModelName(f->model)).c_str(),
                   f->backtest.shrink_weight,
                   std::string(ModelName(f->backtest.shrink_toward)).c_str(),
                   f->backtest.horizon_steps, f->backtest.selection_mase,
                   f->backtest.baseline_selection_mase,
                   std::string(ModelName(f->backtest.best_baseline)).c_str(),
                   f->backtest.best_baseline_mase);
    double err = 0;
    for (size_t i = 0; i < h; ++i) {
      const double actual = g.y[o + i];
      const Band b = f->At(g.start + g.step * static_cast<double>(o + i));
      err += std::fabs(actual - b.expected);
      in80 += actual >= b.lower80 && actual <= b.upper80;
      in95 += actual >= b.lower95 && actual <= b.upper95;
      points += 1;
    }
    sfsg += err / static_cast<double>(h) / scale;
    sfsg_per_origin.push_back(err / static_cast<double>(h) / scale);
    if (diagnose) {
      for (const std::string& w : f->warnings) std::fprintf(stderr, "    warning: %s\n", w.c_str());
      std::fprintf(stderr, "    backtest:");
      for (const ModelScore& sc : f->backtest.scores)
        if (sc.applies)
          std::fprintf(stderr, " %s %.3f", std::string(ModelName(sc.model)).c_str(), sc.mase);
      std::fprintf(stderr, " combined:");
      for (ModelKind m : f->backtest.combined)
        std::fprintf(stderr, " %s", std::string(ModelName(m)).c_str());
      std::fprintf(stderr, "\n    origin %zu sfsg %.3f |", o, err / static_cast<double>(h) / scale);
      for (ModelKind m : kAllModels) {
        if (m == ModelKind::kCombination) continue;
        ForecastOptions one = options;
        one.candidates = {m};
        auto fm = ForecastSeries(ToSeries(g, o), one);
        if (!fm.ok() || fm->model != m) continue;
        double em = 0;
        for (size_t i = 0; i < h; ++i)
          em += std::fabs(g.y[o + i] -
                          fm->At(g.start + g.step * static_cast<double>(o + i)).expected);
        std::fprintf(stderr, " %s %.3f", std::string(ModelName(m)).c_str(),
                     em / static_cast<double>(h) / scale);
      }
    }
    // Each baseline's MASE at this origin (absent when it does not apply).
    std::map<std::string, double> here;
    for (const char* kind : kBaselines) {
      const std::vector<double> p = Baseline(kind, g.y, o, h, g.step);
      if (p.empty()) continue;
      double e = 0;
      for (size_t i = 0; i < h; ++i) e += std::fabs(g.y[o + i] - p[i]);
      here[kind] = e / static_cast<double>(h) / scale;
      mase[kind] += here[kind];
      per_origin[kind].push_back(here[kind]);
      used[kind] += 1;
    }
    if (diagnose) {
      std::fprintf(stderr, " |");
      for (const auto& [kind, value] : here)
        std::fprintf(stderr, " b:%s %.3f", kind.c_str(), value);
      std::fprintf(stderr, "\n");
    }
  }
  std::string best;
  double best_mase = 0;
  for (const auto& [kind, sum] : mase) {
    if (used[kind] != count) continue;
    const double m = sum / static_cast<double>(count);
    if (best.empty() || m < best_mase) best = kind, best_mase = m;
  }
  sfsg /= static_cast<double>(count);
  result.ratio = best_mase > 0 ? sfsg / best_mase : 1;
  result.cover80 = in80 / points;
  result.cover95 = in95 / points;
  result.ratio_se = best.empty() ? 0
                                 : RatioStderr(sfsg_per_origin, per_origin[best], best_mase,
                                               (last - first) / h + 1);
  std::printf("%-44s %4.0fd %3zu %9.3f  %-14s %9.3f  %6.3f %6.3f  %5.1f%%  %5.1f%%\n",
              g.name.c_str(), horizon_days, count, sfsg, best.c_str(), best_mase, result.ratio,
              2 * result.ratio_se, 100 * result.cover80, 100 * result.cover95);
  std::fflush(stdout);
  return true;
}

double Normal(SplitMixStream& s) {
  const double u1 = 1.0 - s.NextUnit(), u2 = s.NextUnit();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
}

Grid FromScenario(const Scenario& s) {
  Grid g;
  g.name = "constructed " + s.name;
  g.column = "used_bytes";
  g.start = s.history.time_s.front();
  g.step = s.step_s;
  g.y = s.history.values;
  SplitMixStream noise(HashWords(7, s.name.size(), 0xbe7c));
  const size_t extra = static_cast<size_t>(std::llround(90 * kDay / s.step_s));
  for (size_t i = 0; i < extra && i < s.future.size(); ++i)
    g.y.push_back(s.future[i] + (s.future_realized ? 0 : 0.003 * kTiB * Normal(noise)));
  return g;
}

int Main(int argc, char** argv) {
  size_t origins = 30;
  std::string dir, only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--origins") == 0 && i + 1 < argc) {
      origins = std::strtoul(argv[++i], nullptr, 10);
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else if (std::strcmp(argv[i], "--verbose") == 0) {
      verbose = true;
    } else if (std::strcmp(argv[i], "--diagnose") == 0) {
      verbose = diagnose = true;
    } else if (argv[i][0] == '-') {
      std::fprintf(
          stderr,
          "usage: sfsg-bench-forecast [--origins N] [--only SUBSTRING] [--verbose] [--diagnose] "
          "NAB_DIR\n");
      return 2;
    } else {
      dir = argv[i];
    }
  }
  if (dir.empty() || origins < 3) {
    std::fprintf(stderr, "usage: sfsg-bench-forecast [--origins N >= 3] NAB_DIR\n");
    return 2;
  }
  std::vector<Grid> cases;
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".csv") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  for (const std::string& path : files) {
    auto table = LoadUsageTable(path);
    if (!table) {
      std::fprintf(stderr, "%s\n", table.error().message.c_str());
      return 1;
    }
    auto series = ExtractSeries(*table, "value");
    if (!series) {
      std::fprintf(stderr, "%s\n", series.error().message.c_str());
      return 1;
    }
    const RegularGrid r = ToRegularGrid(*series, 0);
    Grid g;
    g.name = std::filesystem::path(path).stem().string();
    g.column = "value";
    g.start = r.start_s;
    g.step = r.step_s;
    g.y = r.values;
    cases.push_back(g);
    const size_t hour = std::max<size_t>(1, static_cast<size_t>(std::llround(3600 / g.step)));
    const size_t day = std::max<size_t>(1, static_cast<size_t>(std::llround(kDay / g.step)));
    cases.push_back(Cumulative(g, hour, "1h"));
    cases.push_back(Cumulative(g, day, "1d"));
  }
  cases.push_back(FromScenario(ImportScenario(1)));
  cases.push_back(FromScenario(RetentionScenario(1)));
  cases.push_back(FromScenario(CleanupScenario(1)));
  cases.push_back(FromScenario(MigrationScenario(1)));
  cases.push_back(FromScenario(WeeklyImportScenario(1)));
  cases.push_back(FromScenario(CompoundScenario(1)));
  cases.push_back(FromScenario(DailyWeeklyScenario(1)));
  cases.push_back(FromScenario(BurstyScenario(1)));
  std::printf("%-44s %5s %3s %9s  %-14s %9s  %6s %6s  %6s  %6s\n", "series", "ahead", "org",
              "sfsg MASE", "best baseline", "its MASE", "ratio", "+-2se", "cov80", "cov95");
  // The goal's figures, and the same for the short-history cases (printed after, apart).
  struct Tally {
    double log_sum = 0, worst = 0, c80 = 0, c95 = 0, real_log_sum = 0;
    size_t count = 0, above = 0, beyond_noise = 0, real_count = 0;
    void Add(const Outcome& o, bool real) {
      log_sum += std::log(o.ratio);
      if (real) real_log_sum += std::log(o.ratio), ++real_count;
      worst = std::max(worst, o.ratio);
      above += o.ratio > 1.0;
      beyond_noise += o.ratio - 2 * o.ratio_se > 1.0;
      c80 += o.cover80, c95 += o.cover95;
      ++count;
    }
    void Print(const char* what) const {
      if (count == 0) return;
      const double c = static_cast<double>(count);
      std::printf(
          "\n%s %zu: geometric mean ratio %.3f, worst %.3f, %zu above 1.0 (%zu by more than "
          "2 standard errors); coverage 80%% band %.1f%%, 95%% band %.1f%%\n",
          what, count, std::exp(log_sum / c), worst, above, beyond_noise, 100 * c80 / c,
          100 * c95 / c);
      // The real series alone: the constructed cases, whose baselines miss their one
      // event, score far below 1 and would flatter the mean.
      if (real_count > 0 && real_count < count)
        std::printf("real series alone (%zu cases): geometric mean ratio %.3f\n", real_count,
                    std::exp(real_log_sum / static_cast<double>(real_count)));
    }
  };
  Tally goal, short_history;
  std::vector<std::pair<const Grid*, double>> shorts;
  const auto run = [&](const Grid& g, double days, Tally& tally) {
    Outcome o;
    if (RunCase(g, days, origins, o)) tally.Add(o, g.name.rfind("constructed ", 0) != 0);
  };
  for (const Grid& g : cases) {
    if (!only.empty() && g.name.find(only) == std::string::npos) continue;
    const bool cumulative_hourly = g.name.find("cumsum/1h") != std::string::npos;
    const bool cumulative_daily = g.name.find("cumsum/1d") != std::string::npos;
    for (double days : {1.0, 7.0, 30.0, 90.0}) {
      if (cumulative_hourly && days > 7) continue;
      if (cumulative_daily && days < 30) continue;
      const std::optional<History> history = Classify(g, days);
      if (history == History::kAllows) run(g, days, goal);
      if (history == History::kShort) shorts.emplace_back(&g, days);
    }
  }
  if (goal.count == 0 && shorts.empty()) return 1;
  goal.Print("cases");
  if (!shorts.empty()) {
    std::printf(
        "\nShort history (under 3 horizons in the series: origins in its second half have "
        "less than the 2 horizons behind them the goal asks; not in the figures above)\n");
    for (const auto& [g, days] : shorts) run(*g, days, short_history);
    short_history.Print("short-history cases");
  }
  return 0;
}

}  // namespace
}  // namespace sfsg

int main(int argc, char** argv) { return sfsg::Main(argc, argv); }
