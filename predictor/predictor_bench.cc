// How long forecasting takes on one year of one-minute samples (525,600 points), against
// a plain least-squares pass over the same data. Goal: the whole fit under a second.
//
//   predictor_bench [--benchmark_filter=...]
// prints Google Benchmark's table, then each benchmark's time as a multiple of the plain
// least-squares pass.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <string>

#include "generator/util/hash.h"
#include "predictor/forecast.h"
#include "predictor/models.h"
#include "predictor/config.h"

namespace sfsg {
namespace {

constexpr size_t kMinutesPerYear = 525600;

// Used bytes over a year of minutes: growth, daily and weekly cycles, noise, and a
// clean-up every 30 days.
const Series& YearOfMinutes() {
  static const Series series = [] {
    Series s;
    s.name = "used_bytes";
    s.unit = "bytes";
    SplitMixStream noise(42);
    double deleted = 0;
    for (size_t i = 0; i < kMinutesPerYear; ++i) {
      const double day = static_cast<double>(i) / 1440;
      if (i > 0 && i % (30 * 1440) == 0) deleted += 5e11;
      s.time_s.push_back(1.7e9 + 60.0 * static_cast<double>(i));
      s.values.push_back(1e12 + 3e10 * day + 2e9 * std::sin(2 * M_PI * day) +
                         4e9 * std::sin(2 * M_PI * day / 7) - deleted +
                         1e9 * (noise.NextUnit() - 0.5));
    }
    s.quality.samples = s.time_s.size();
    s.quality.median_step_s = 60;
    s.quality.longest_gap_s = 60;
    return s;
  }();
  return series;
}

void BM_PlainLeastSquares(benchmark::State& state) {
  const Series& s = YearOfMinutes();
  for (auto _ : state) {
    double st = 0, sy = 0, stt = 0, sty = 0;
    const double n = static_cast<double>(s.values.size());
    for (size_t i = 0; i < s.values.size(); ++i) {
      const double t = s.time_s[i] - s.time_s[0];
      st += t, sy += s.values[i], stt += t * t, sty += t * s.values[i];
    }
    const double slope = (n * sty - st * sy) / (n * stt - st * st);
    benchmark::DoNotOptimize(slope);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kMinutesPerYear));
}
BENCHMARK(BM_PlainLeastSquares)->Unit(benchmark::kMillisecond);

// The whole method with its defaults: grid (aggregated to 10,000 points or fewer), level
// shifts, seasonality, a 10-fold backtest of six models, bands, a 90-day horizon.
void BM_ForecastYearOfMinutes(benchmark::State& state) {
  const Series& s = YearOfMinutes();
  ForecastOptions options;
  options.horizon_s = config::kHorizonSeconds;
  for (auto _ : state) {
    auto forecast = ForecastSeries(s, options);
    if (!forecast.ok()) state.SkipWithError(forecast.error().message.c_str());
    benchmark::DoNotOptimize(forecast);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kMinutesPerYear));
}
BENCHMARK(BM_ForecastYearOfMinutes)->Unit(benchmark::kMillisecond);

// One model fitted at full resolution (no aggregation), for comparison.
void BM_FitModelAtFullResolution(benchmark::State& state) {
  const Series& s = YearOfMinutes();
  const auto kind = static_cast<ModelKind>(state.range(0));
  ModelOptions options;
  options.season = kind == ModelKind::kHoltWinters ? 1440 : 1;
  state.SetLabel(std::string(ModelName(kind)));
  for (auto _ : state) {
    auto forecast = FitAndForecast(kind, s.values, 1440, options);
    benchmark::DoNotOptimize(forecast);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kMinutesPerYear));
}
BENCHMARK(BM_FitModelAtFullResolution)
    ->Arg(static_cast<int>(ModelKind::kLinear))
    ->Arg(static_cast<int>(ModelKind::kTheilSen))
    ->Arg(static_cast<int>(ModelKind::kDampedHolt))
    ->Arg(static_cast<int>(ModelKind::kHoltWinters))
    ->Unit(benchmark::kMillisecond);

// Keeps each run's time so main can print them against the least-squares pass.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs)
      if (run.run_type == Run::RT_Iteration) {
        const double unit = run.time_unit == benchmark::kMillisecond ? 1e-3 : 1e-9;
        times_[run.benchmark_name() + (run.report_label.empty() ? "" : " " + run.report_label)] = {
            run.GetAdjustedRealTime() * unit, run.GetAdjustedCPUTime() * unit};
      }
    ConsoleReporter::ReportRuns(runs);
  }
  void PrintRatios() const {
    auto base = times_.find("BM_PlainLeastSquares");
    if (base == times_.end() || !(base->second.cpu > 0)) return;
    std::printf("\n%-46s %10s %10s %12s\n", "525,600 one-minute points", "wall s", "cpu s",
                "x plain LS");
    for (const auto& [name, t] : times_)
      std::printf("%-46s %10.4f %10.4f %12.1f\n", name.c_str(), t.wall, t.cpu,
                  t.cpu / base->second.cpu);
  }

 private:
  struct Times {
    double wall, cpu;
  };
  std::map<std::string, Times> times_;
};

}  // namespace
}  // namespace sfsg

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  sfsg::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
