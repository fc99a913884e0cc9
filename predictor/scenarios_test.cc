// The constructed storage series (predictor/scenarios.h), with their true fill
// dates: an import, a retention sawtooth and a clean-up must neither break the plan nor
// move the fill date, and the truth must lie inside the 80% band.
#include "predictor/scenarios.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "generator/util/units.h"
#include "predictor/forecast.h"

namespace sfsg {
namespace {

constexpr double kDay = 86400;

struct Case {
  const char* name;
  Scenario (*make)(uint64_t, double);
  ShiftKind kind;
};

class ScenarioTest : public ::testing::TestWithParam<Case> {};

TEST_P(ScenarioTest, FillDateWithinFifteenPercentAndTruthInsideTheEightyPercentBand) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const Scenario s = GetParam().make(seed, 0.003);
    ForecastOptions options;
    options.horizon_s = 90 * kDay;
    auto f = ForecastSeries(s.history, options);
    ASSERT_TRUE(f.ok()) << f.error().message;
    // The event is found and told apart.
    ASSERT_FALSE(f->level_shifts.empty());
    for (const ShiftEvent& e : f->level_shifts) EXPECT_EQ(e.kind, GetParam().kind) << s.name;
    const Crossing c = TimeToThreshold(*f, s.threshold);
    ASSERT_TRUE(c.expected_s && c.earliest80_s && c.latest80_s && c.earliest_s) << s.name;
    const double expected = *c.expected_s - f->origin_s;
    const double early80 = *c.earliest80_s - f->origin_s, late80 = *c.latest80_s - f->origin_s;
    std::printf(
        "%s seed %llu: model %s, truth %.1f d, expected %.1f d, 80%% [%.1f, %.1f], "
        "95%% from %.1f d\n",
        s.name.c_str(), static_cast<unsigned long long>(seed),
        std::string(ModelName(f->model)).c_str(), s.truth_s / kDay, expected / kDay, early80 / kDay,
        late80 / kDay, (*c.earliest_s - f->origin_s) / kDay);
    EXPECT_NEAR(expected, s.truth_s, 0.15 * s.truth_s) << s.name;
    EXPECT_LE(early80, s.truth_s) << s.name;
    EXPECT_GE(late80, s.truth_s) << s.name;
    // Never "0.0 d" nor a band running to hundreds of TiB: the horizon's band stays
    // within the volume's own scale and above today's low.
    const Band h = f->At(f->origin_s + options.horizon_s);
    EXPECT_LT(h.upper95, 2 * s.capacity) << s.name;
    EXPECT_GT(h.lower95, 0.5 * f->last_value) << s.name;
    EXPECT_GT(*c.earliest_s - f->origin_s, 0.3 * s.truth_s) << s.name;
    // An unrelated horizon does not move the fill date.
    options.horizon_s = 180 * kDay;
    auto longer = ForecastSeries(s.history, options);
    ASSERT_TRUE(longer.ok());
    const Crossing c2 = TimeToThreshold(*longer, s.threshold);
    ASSERT_TRUE(c2.expected_s);
    EXPECT_NEAR(*c2.expected_s, *c.expected_s, 0.02 * s.truth_s) << s.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Issue15, ScenarioTest,
    ::testing::Values(Case{"import", &ImportScenario, ShiftKind::kImport},
                      Case{"retention", &RetentionScenario, ShiftKind::kRetention},
                      Case{"cleanup", &CleanupScenario, ShiftKind::kCleanup},
                      Case{"migration", &MigrationScenario, ShiftKind::kMigration},
                      Case{"weekly_import", &WeeklyImportScenario, ShiftKind::kImport}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(ScenarioTest, TheFillDateBandsHoldTheTruthAfterAnImportOverTwentySeeds) {
  // A 0.3 TiB import 30 days before the end, 211 days to fill: the step's size error bends
  // the fitted slope, which the bands missed (the truth inside the 80% band 9 times in 20,
  // the 95% band 12).
  int inside80 = 0, inside95 = 0;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const Scenario s = ImportScenario(seed, 0.003, 0.3, 30);
    auto f = ForecastSeries(s.history, ForecastOptions());
    ASSERT_TRUE(f.ok()) << f.error().message;
    const Crossing c = TimeToThreshold(*f, s.threshold);
    ASSERT_TRUE(c.earliest80_s && c.latest80_s && c.earliest_s && c.latest_s);
    const double truth = f->origin_s + s.truth_s;
    inside80 += *c.earliest80_s <= truth && truth <= *c.latest80_s;
    inside95 += *c.earliest_s <= truth && truth <= *c.latest_s;
  }
  std::printf("import 0.3 TiB on day 30: truth inside 80%% band %d of 20, 95%% band %d\n", inside80,
              inside95);
  EXPECT_GE(inside80, 13);  // P(X <= 12) = 3% for 80% bands
  EXPECT_GE(inside95, 17);  // P(X <= 16) = 1.6% for 95% bands
}

TEST(ScenarioTest, AnImportsSizeErrorIsNotCurvature) {
  // The import's size is estimated; what its error leaves in the series it was taken out
  // of curved 2.6 standard errors (a 1 TiB import 15 days before the end, 60 days of a
  // line): compound was chosen, 121.8 d for 140. The curvature is now fitted with the
  // step: no seed of a line with an import 15, 30 or 45 days in reads as a curve.
  int curves = 0;
  std::vector<double> errors;
  for (uint64_t seed = 1; seed <= 12; ++seed)
    for (double day : {15.0, 30.0, 45.0}) {
      const Scenario s = ImportScenario(seed, 0.003, 1.0, day);
      auto f = ForecastSeries(s.history, ForecastOptions());
      ASSERT_TRUE(f.ok()) << f.error().message;
      curves += f->backtest.curve_chosen || f->model == ModelKind::kCompound;
      const Crossing c = TimeToThreshold(*f, s.threshold);
      ASSERT_TRUE(c.expected_s);
      errors.push_back(std::fabs(*c.expected_s - f->origin_s - s.truth_s) / s.truth_s);
    }
  std::sort(errors.begin(), errors.end());
  std::printf(
      "a line with a 1 TiB import, 36 series: %d curves; fill date error median %.1f%%, "
      "worst %.1f%%\n",
      curves, 100 * errors[errors.size() / 2], 100 * errors.back());
  EXPECT_EQ(curves, 0);
  EXPECT_LE(errors.back(), 0.10);
}

// A scenario planned with the default options: the forecast, its first crossings of the
// threshold and the truth's, printed as one line ("NAME seed N: model, truth, expected,
// 80% and 95% bands"; -1 for a crossing not found).
struct Planned {
  std::string error;  // the forecast's, when it failed
  ForecastResult f;
  Crossing c;
  double truth_s = 0;  // when the truth crosses (unix seconds)
  bool Crossed() const {
    return c.expected_s && c.earliest80_s && c.latest80_s && c.earliest_s && c.latest_s;
  }
  double Days(const std::optional<double>& t) const { return t ? (*t - f.origin_s) / kDay : -1; }
  bool Inside80() const {
    return Crossed() && *c.earliest80_s <= truth_s && truth_s <= *c.latest80_s;
  }
  bool Inside95() const { return Crossed() && *c.earliest_s <= truth_s && truth_s <= *c.latest_s; }
};
Planned Plan(const Scenario& s, uint64_t seed) {
  Planned p;
  auto f = ForecastSeries(s.history, ForecastOptions());
  if (!f.ok()) {
    p.error = f.error().message;
    return p;
  }
  p.f = std::move(*f);
  p.c = TimeToThreshold(p.f, s.threshold);
  p.truth_s = p.f.origin_s + s.truth_s;
  std::printf(
      "%s seed %llu: model %s, %s, truth %.1f d, expected %.1f d, 80%% [%.1f, %.1f], 95%% "
      "[%.1f, %.1f]\n",
      s.name.c_str(), static_cast<unsigned long long>(seed),
      std::string(ModelName(p.f.model)).c_str(), p.f.seasonality.name.c_str(), s.truth_s / kDay,
      p.Days(p.c.expected_s), p.Days(p.c.earliest80_s), p.Days(p.c.latest80_s),
      p.Days(p.c.earliest_s), p.Days(p.c.latest_s));
  return p;
}

TEST(ScenarioTest, CompoundGrowthFillDateWithinTenPercentAndTruthInsideTheNinetyFivePercentBand) {
  // 3% a week: the lines and levels were 30-45% late, the truth outside the 95% band.
  int inside80 = 0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const Scenario s = CompoundScenario(seed);
    const Planned p = Plan(s, seed);
    ASSERT_TRUE(p.error.empty()) << p.error;
    ASSERT_TRUE(p.Crossed());
    EXPECT_EQ(p.f.model, ModelKind::kCompound);
    EXPECT_NEAR(*p.c.expected_s - p.f.origin_s, s.truth_s, 0.1 * s.truth_s);
    EXPECT_TRUE(p.Inside95());
    inside80 += p.Inside80();
  }
  EXPECT_GE(inside80, 3);
}

// Faster and noisier compounding: 4% a week over 90 days with noise of 0.05 TiB (1-2% of
// the level), and 3% a week over 60 hourly days with a daily swing of +-0.1 TiB. The curve
// started from the last point, whose noise (or daily phase) moved all of it: lines and
// Holt-Winters scored better a month ahead and were chosen, 50% and 65% late in the
// median, the truth inside the 80% band in 1 and 0 of 8. From the recent level, the curve
// won at half the 4%-a-week seeds (predict_linear 43-86% late at the others) and the daily
// swing's date was 27% late; with the lead short of the horizon, growth that curves as a
// curve picks it: 8 of 8 each, within 5%.
TEST(ScenarioTest, NoisyAndDailySwingingCompoundingHoldsTheTruthInsideTheBands) {
  struct Variant {
    double per_week, days, step_s, noise, daily;
    int compound_seeds, inside80;  // at least
    double median_error;           // at most
  };
  for (const Variant& v : {Variant{0.04, 90, kDay, 0.05, 0, 7, 7, 0.05},
                           Variant{0.03, 60, 3600, 0.002, 0.1, 7, 7, 0.05}}) {
    int inside80 = 0, inside95 = 0, compound = 0;
    std::vector<double> errors;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
      const Scenario s = CompoundScenario(seed, v.noise, v.per_week, v.days, v.step_s, v.daily);
      const Planned p = Plan(s, seed);
      ASSERT_TRUE(p.error.empty()) << p.error;
      ASSERT_TRUE(p.c.expected_s && p.c.earliest80_s && p.c.earliest_s);
      const double error = std::fabs(*p.c.expected_s - p.f.origin_s - s.truth_s) / s.truth_s;
      errors.push_back(error);
      if (p.f.model == ModelKind::kCompound) {
        ++compound;
        EXPECT_LE(error, 0.05) << seed;
      }
      // A lower bound that stays under the threshold within the search is "not reached":
      // the truth is inside the band on that side.
      const auto inside = [&](const std::optional<double>& early,
                              const std::optional<double>& late) {
        return *early <= p.truth_s && (!late || p.truth_s <= *late);
      };
      inside80 += inside(p.c.earliest80_s, p.c.latest80_s);
      inside95 += inside(p.c.earliest_s, p.c.latest_s);
    }
    std::sort(errors.begin(), errors.end());
    std::printf(
        "%.0f%% a week, %.0f days: compound at %d of 8, median error %.1f%%, truth inside "
        "80%% %d, 95%% %d\n",
        100 * v.per_week, v.days, compound, 100 * errors[errors.size() / 2], inside80, inside95);
    EXPECT_GE(compound, v.compound_seeds);
    EXPECT_LE(errors[errors.size() / 2], v.median_error);
    EXPECT_GE(inside80, v.inside80);
    EXPECT_GE(inside95, 8);
  }
}

TEST(ScenarioTest, DailyAndWeeklyCyclesFillAtTheWeeklyPeakWithinFivePercent) {
  // The weekly swing was taken for a daily one (each period's profile explains most of what
  // its own moving average leaves): a line was chosen and the date followed the trend,
  // 13 days late, with the truth outside the 80% band.
  int inside80 = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const Scenario s = DailyWeeklyScenario(seed);
    const Planned p = Plan(s, seed);
    ASSERT_TRUE(p.error.empty()) << p.error;
    ASSERT_TRUE(p.c.expected_s && p.c.earliest80_s && p.c.latest80_s);
    EXPECT_EQ(p.f.seasonality.name, "weekly");
    EXPECT_NEAR(*p.c.expected_s - p.f.origin_s, s.truth_s, 0.05 * s.truth_s);
    inside80 += *p.c.earliest80_s <= p.truth_s && p.truth_s <= *p.c.latest80_s;
  }
  EXPECT_GE(inside80, 2);
}

TEST(ScenarioTest, BurstyWritesAreHowItGrowsAndTheBandsHoldTheMeanRatesDate) {
  // Bursts an hour or two long were modelled as "migrations" (six in 14 days) and taken
  // out with their growth: 39.8 days for a truth of 35.6. The bands, extrapolated from 2-5
  // days of backtest to 34, were a day wide: the rate's own error was not in them.
  // 14 days of such bursts know the mean rate to about 13%: each date is that far out,
  // the median is within 15%, and the bands hold the truth.
  int inside80 = 0, inside95 = 0;
  std::vector<double> errors;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    const Scenario s = BurstyScenario(seed);
    const Planned p = Plan(s, seed);
    ASSERT_TRUE(p.error.empty()) << p.error;
    EXPECT_TRUE(p.f.level_shifts.empty()) << seed;
    ASSERT_TRUE(p.Crossed());
    errors.push_back(std::fabs(*p.c.expected_s - p.f.origin_s - s.truth_s) / s.truth_s);
    inside80 += p.Inside80();
    inside95 += p.Inside95();
  }
  std::sort(errors.begin(), errors.end());
  EXPECT_LE((errors[3] + errors[4]) / 2, 0.15);
  EXPECT_GE(inside80, 5);  // P(X <= 4) = 3% for 80% bands
  EXPECT_GE(inside95, 7);  // P(X <= 6) = 6% for 95% bands
}

TEST(ScenarioTest, TruthsAreWhatTheIssueDescribes) {
  EXPECT_NEAR(BurstyScenario(1).truth_s / kDay, 34, 4);
  EXPECT_NEAR(ImportScenario(1).truth_s / kDay, 140, 1.5);
  EXPECT_NEAR(CleanupScenario(1).truth_s / kDay, 60, 1.5);
  EXPECT_NEAR(MigrationScenario(1).truth_s / kDay, 91, 1.5);
  // The weekly swing's peak reaches 8 TiB about 16 days before the trend does.
  EXPECT_NEAR(WeeklyImportScenario(1).truth_s / kDay, 51, 1.5);
  EXPECT_NEAR(CompoundScenario(1).truth_s / kDay, 96, 1.5);
  // The sawtooth first reaches 8 TiB at a peak, before the net line does.
  const double retention = RetentionScenario(1).truth_s / kDay;
  EXPECT_GT(retention, 60);
  EXPECT_LT(retention, 110);
}

TEST(ScenarioTest, ADeclaredEventIsModelledWhereTheDetectionSeesNone) {
  // A small import (0.05 TiB, below the detection's 6 sigma) declared by the user.
  Scenario s = ImportScenario(4, 0.02);
  auto declared = ParseEvent("2023-12-29T00:00:00Z=import");
  ASSERT_TRUE(declared.ok()) << declared.error().message;
  ForecastOptions options;
  options.events = {*declared};
  auto f = ForecastSeries(s.history, options);
  ASSERT_TRUE(f.ok()) << f.error().message;
  bool found = false;
  for (const ShiftEvent& e : f->level_shifts)
    if (e.declared) {
      found = true;
      EXPECT_EQ(e.kind, ShiftKind::kImport);
      EXPECT_NEAR(e.time_s, declared->time_s, kDay);
    }
  EXPECT_TRUE(found);
  EXPECT_FALSE(ParseEvent("2024-02-14=party").ok());
  EXPECT_FALSE(ParseEvent("yesterday=import").ok());
  EXPECT_FALSE(ParseEvent("2024-02-14").ok());
}

TEST(ScenarioTest, ADeclaredDayIsSearchedForItsStepAndAnEventTheSeriesDoesNotShowIsSaid) {
  // The import is first seen by the point of day 45 (22:13 UTC); declared for the day
  // of point 44, the day it happened in, after that day's sample.
  const Scenario s = ImportScenario(1);
  const std::string day44 = FormatUtc(s.history.time_s[44], "%Y-%m-%d");
  ForecastOptions options;
  const std::vector<std::string> texts = {day44 + "=import", "2020-01-01=import",
                                          "2099-01-01=cleanup",
                                          FormatUtc(s.history.time_s[20], "%Y-%m-%d") + "=import"};
  for (const std::string& text : texts) {
    auto e = ParseEvent(text);
    ASSERT_TRUE(e.ok()) << e.error().message;
    options.events.push_back(*e);
  }
  auto f = ForecastSeries(s.history, options);
  ASSERT_TRUE(f.ok()) << f.error().message;
  std::vector<ShiftEvent> declared;
  for (const ShiftEvent& e : f->level_shifts)
    if (e.declared) declared.push_back(e);
  ASSERT_EQ(declared.size(), 2u);
  // No step in that day: the larger rise of its two changes (points 20 and 21).
  EXPECT_TRUE(declared[0].time_s == s.history.time_s[20] ||
              declared[0].time_s == s.history.time_s[21]);
  EXPECT_EQ(declared[1].time_s, s.history.time_s[45]);
  EXPECT_NEAR(declared[1].size, kTiB, 0.02 * kTiB);
  // Fill date as without the declaration (141 d).
  const Crossing c = TimeToThreshold(*f, s.threshold);
  ASSERT_TRUE(c.expected_s);
  EXPECT_NEAR(*c.expected_s - f->origin_s, s.truth_s, 0.05 * s.truth_s);
  const auto said = [&](const std::string& text) {
    for (const std::string& w : f->warnings)
      if (w.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(said("2020-01-01=import ignored: not after the first point"));
  EXPECT_TRUE(said("2099-01-01=cleanup ignored: after the last point"));
  EXPECT_TRUE(said("no step out of the noise"));
}

TEST(ScenarioTest, AMigrationDeclaredAtItsStartIsTheDetectedRampNotASecondStep) {
  // Declared on the ramp's first day, 5 steps before the detection's first point at the
  // new level: both were modelled (2.5 TiB for 1.5) and the volume "never" filled.
  const Scenario s = MigrationScenario(1);
  auto e = ParseEvent(FormatUtc(s.history.time_s[35], "%Y-%m-%d") + "=migration");
  ASSERT_TRUE(e.ok()) << e.error().message;
  ForecastOptions options;
  options.events = {*e};
  auto f = ForecastSeries(s.history, options);
  ASSERT_TRUE(f.ok()) << f.error().message;
  ASSERT_EQ(f->level_shifts.size(), 1u);
  EXPECT_TRUE(f->level_shifts[0].declared);
  EXPECT_NEAR(f->level_shifts[0].size, 1.5 * kTiB, 0.05 * kTiB);
  const Crossing c = TimeToThreshold(*f, s.threshold);
  ASSERT_TRUE(c.expected_s);
  EXPECT_NEAR(*c.expected_s - f->origin_s, s.truth_s, 0.05 * s.truth_s);
}

TEST(ScenarioTest, AStepAtTheVeryEndSaysTheHistoryAfterItIsTooShort) {
  Scenario s = CleanupScenario(2);
  // Move the clean-up to the last 3 days: shift every value before day 57 up by 2 TiB.
  for (size_t i = 0; i < s.history.values.size(); ++i) {
    const double day = static_cast<double>(i);
    if (day >= 40 && day < 57) s.history.values[i] += 2 * kTiB;
  }
  ForecastOptions options;
  auto f = ForecastSeries(s.history, options);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_TRUE(f->low_confidence);
  bool said = false;
  for (const std::string& w : f->warnings) said |= w.find("points after the") != std::string::npos;
  EXPECT_TRUE(said);
}

}  // namespace
}  // namespace sfsg
